import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBertConfig, type BertConfig } from './config';
import { contentHash } from './contentHash';
import { CheckpointError } from './checkpointError';
import { indexSafetensors, MAX_TENSOR_BYTES, readTensorAsFloat32, type TensorRecord } from './safetensors';

/** One weight tensor, checked against config.json; its data is read from disk only on read(). */
export interface WeightRef {
  /** The name as stored in the checkpoint. */
  readonly name: string;
  readonly shape: readonly number[];
  read(): Float32Array;
}

/** A torch.nn.Linear: weight is [out, in] as PyTorch stores it. */
export interface LinearWeights {
  readonly weight: WeightRef;
  readonly bias: WeightRef;
}

export interface LayerNormWeights {
  readonly weight: WeightRef;
  readonly bias: WeightRef;
}

export interface BertLayerWeights {
  readonly query: LinearWeights;
  readonly key: LinearWeights;
  readonly value: LinearWeights;
  readonly attentionOutput: LinearWeights;
  readonly attentionNorm: LayerNormWeights;
  readonly intermediate: LinearWeights;
  readonly output: LinearWeights;
  readonly outputNorm: LayerNormWeights;
}

export interface BertWeights {
  readonly wordEmbeddings: WeightRef;
  readonly positionEmbeddings: WeightRef;
  readonly tokenTypeEmbeddings: WeightRef;
  readonly embeddingNorm: LayerNormWeights;
  readonly layers: readonly BertLayerWeights[];
  readonly pooler: LinearWeights;
  readonly classifier: LinearWeights;
}

export interface BertCheckpoint {
  readonly dir: string;
  readonly config: BertConfig;
  readonly weights: BertWeights;
  /** sha256 over config.json and the full content of every weight file. */
  readonly fingerprint: string;
}

class WeightResolver {
  /** The tensors the model reads, to compare with what the files hold. */
  readonly used = new Set<TensorRecord>();

  constructor(
    private readonly records: Map<string, TensorRecord>,
    private readonly dir: string,
  ) {}

  /** Finds `name` with or without the "bert." prefix, and TF-era LayerNorm gamma/beta spellings. */
  find(name: string, shape: readonly number[], withPrefix: boolean): WeightRef {
    const base = withPrefix ? [`bert.${name}`, name] : [name, `bert.${name}`];
    const candidates = base.flatMap((n) => [
      n,
      n.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
    ]);
    const record = candidates.map((n) => this.records.get(n)).find((r) => r !== undefined);
    if (!record) {
      throw new CheckpointError(
        `${this.dir}: missing tensor "${base[0]}" (looked for ${[...new Set(candidates)].join(', ')})`,
        this.dir,
      );
    }
    const same = record.shape.length === shape.length && record.shape.every((d, i) => d === shape[i]);
    if (!same) {
      throw new CheckpointError(
        `${record.file}: tensor "${record.name}" has shape [${record.shape.join(', ')}], ` +
          `config.json implies [${shape.join(', ')}]`,
        record.file,
      );
    }
    if (!['F32', 'F16', 'BF16'].includes(record.dtype)) {
      throw new CheckpointError(
        `${record.file}: tensor "${record.name}" has dtype ${record.dtype}; expected F32, F16 or BF16`,
        record.file,
      );
    }
    const widened = 4 * shape.reduce((a, b) => a * b, 1);
    if (widened > MAX_TENSOR_BYTES) {
      throw new CheckpointError(
        `${record.file}: tensor "${record.name}" [${shape.join(', ')}] would take ` +
          `${(widened / 2 ** 30).toFixed(1)} GiB as float32; expected at most ${MAX_TENSOR_BYTES / 2 ** 30} GiB per tensor`,
        record.file,
      );
    }
    this.used.add(record);
    return { name: record.name, shape: record.shape, read: () => readTensorAsFloat32(record) };
  }
}

export interface OpenCheckpointOptions {
  /**
   * Where the full content hashes of weight files are remembered between runs (a folder of the user's
   * cache); without it every open reads every weight byte once to hash it.
   */
  readonly hashMemoDir?: string;
  readonly signal?: AbortSignal;
}

/**
 * Changes whenever any byte of config.json or of any weight file changes: a full sha256 of each file,
 * remembered per version of the file (contentHash.ts), so only the first open of a checkpoint pays for it.
 */
function fingerprintOf(
  dir: string,
  records: Map<string, TensorRecord>,
  options: OpenCheckpointOptions,
): string {
  const hash = crypto.createHash('sha256');
  hash.update(fs.readFileSync(path.join(dir, 'config.json')));
  const files = [...new Set([...records.values()].map((r) => r.file))].sort();
  for (const file of files) {
    const size = fs.statSync(file).size;
    hash.update(`${path.basename(file)}:${size}:${contentHash(file, options.hashMemoDir, options.signal)}\n`);
  }
  return hash.digest('hex');
}

/** Bytes a weight file may hold beyond the tensors the model reads (MLM heads, buffers): generous. */
const MAX_UNUSED_BYTES = 256 * 2 ** 20;

/**
 * Every weight byte is hashed for the fingerprint, so a file mostly made of tensors the model never reads
 * (a sparse 100 GB "tensor" beside the real ones) is refused before anything reads it.
 */
function refuseUnusedBulk(records: Map<string, TensorRecord>, used: ReadonlySet<TensorRecord>): void {
  const unusedByFile = new Map<string, number>();
  for (const record of records.values()) {
    if (used.has(record)) continue;
    unusedByFile.set(record.file, (unusedByFile.get(record.file) ?? 0) + (record.end - record.begin));
  }
  for (const [file, unused] of unusedByFile) {
    if (unused > MAX_UNUSED_BYTES) {
      throw new CheckpointError(
        `${file}: holds ${(unused / 2 ** 20).toFixed(0)} MiB of tensors a BertForSequenceClassification ` +
          `does not use; expected at most ${MAX_UNUSED_BYTES / 2 ** 20} MiB besides its weights`,
        file,
      );
    }
  }
}

/** Opens a Hugging Face BertForSequenceClassification folder; reads headers only, never the weights. */
export function openBertCheckpoint(dir: string, options: OpenCheckpointOptions = {}): BertCheckpoint {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new CheckpointError(`symbolic link loop at ${dir}`, dir);
    if (code === 'EACCES') throw new CheckpointError(`checkpoint folder ${dir}: permission denied`, dir);
    throw new CheckpointError(`checkpoint folder ${dir} does not exist`, dir);
  }
  if (!stats.isDirectory()) {
    throw new CheckpointError(
      `${dir} is a file; expected a checkpoint folder (config.json, model.safetensors)`,
      dir,
    );
  }
  const config = readBertConfig(dir);
  const records = indexSafetensors(dir);
  const withPrefix = [...records.keys()].some((k) => k.startsWith('bert.'));
  const resolver = new WeightResolver(records, dir);
  const { hiddenSize: h, intermediateSize: inter } = config;
  const get = (name: string, shape: number[]) => resolver.find(name, shape, withPrefix);
  const linear = (prefix: string, out: number, inp: number): LinearWeights => ({
    weight: get(`${prefix}.weight`, [out, inp]),
    bias: get(`${prefix}.bias`, [out]),
  });
  const norm = (prefix: string): LayerNormWeights => ({
    weight: get(`${prefix}.weight`, [h]),
    bias: get(`${prefix}.bias`, [h]),
  });
  // Resolved in file order (embeddings, layers, pooler, classifier) so the first problem is reported.
  const wordEmbeddings = get('embeddings.word_embeddings.weight', [config.vocabSize, h]);
  const positionEmbeddings = get('embeddings.position_embeddings.weight', [config.maxPositions, h]);
  const tokenTypeEmbeddings = get('embeddings.token_type_embeddings.weight', [config.typeVocabSize, h]);
  const embeddingNorm = norm('embeddings.LayerNorm');
  const layers: BertLayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const p = `encoder.layer.${i}`;
    layers.push({
      query: linear(`${p}.attention.self.query`, h, h),
      key: linear(`${p}.attention.self.key`, h, h),
      value: linear(`${p}.attention.self.value`, h, h),
      attentionOutput: linear(`${p}.attention.output.dense`, h, h),
      attentionNorm: norm(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`, inter, h),
      output: linear(`${p}.output.dense`, h, inter),
      outputNorm: norm(`${p}.output.LayerNorm`),
    });
  }
  const pooler = linear('pooler.dense', h, h);
  // The classification head sits outside the "bert." module in HF checkpoints.
  const classifier: LinearWeights = {
    weight: resolver.find('classifier.weight', [config.numLabels, h], false),
    bias: resolver.find('classifier.bias', [config.numLabels], false),
  };
  const weights: BertWeights = {
    wordEmbeddings,
    positionEmbeddings,
    tokenTypeEmbeddings,
    embeddingNorm,
    layers,
    pooler,
    classifier,
  };
  refuseUnusedBulk(records, resolver.used);
  let fingerprint: string | undefined;
  return {
    dir,
    config,
    weights,
    // Hashing reads every weight byte the first time; only graph caching needs it, so it waits until asked.
    get fingerprint() {
      fingerprint ??= fingerprintOf(dir, records, options);
      return fingerprint;
    },
  };
}
