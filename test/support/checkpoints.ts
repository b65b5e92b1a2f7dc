// Writes small random Hugging Face BertForSequenceClassification checkpoints (config.json +
// model.safetensors, optionally sharded) for tests and benchmarks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../src/core/random';

export type StoredDType = 'F32' | 'F16' | 'BF16';

export interface CheckpointSpec {
  readonly layers: number;
  readonly heads: number;
  readonly hidden: number;
  readonly intermediate?: number;
  readonly vocab?: number;
  readonly maxPositions?: number;
  readonly typeVocab?: number;
  readonly numLabels: 1 | 2;
  readonly dtype?: StoredDType;
  /** Store encoder tensors as "bert.embeddings..." (true, the HF default) or "embeddings...". */
  readonly prefix?: boolean;
  /** Split into this many shards with model.safetensors.index.json. */
  readonly shards?: number;
  readonly seed?: number;
  /** Weights are uniform in [-range, range], rounded to multiples of 1/64 (exact in F16 and BF16). */
  readonly range?: number;
  readonly layerNormEps?: number;
  /** Merged into config.json last (to write broken or foreign configs). */
  readonly configOverrides?: Record<string, unknown>;
  /** Edits the tensor list before writing (to drop or reshape tensors). */
  readonly mutate?: (tensors: Map<string, StoredTensor>) => void;
}

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
  /** Stored as these bytes and dtype instead (e.g. an I64 position_ids buffer). */
  raw?: { dtype: string; bytes: Uint8Array };
}

export interface WrittenCheckpoint {
  readonly dir: string;
  /** The exact values stored (every dtype represents them exactly), keyed by stored name. */
  readonly tensors: Map<string, StoredTensor>;
  readonly config: Record<string, unknown>;
}

/** Small deterministic PRNG (mulberry32), shared with the sample-dataset script. */
export const rng = mulberry32;

const QUANTUM = 64;

function randomTensor(shape: number[], next: () => number, range: number, center = 0): StoredTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const steps = Math.max(1, Math.round(range * QUANTUM));
  for (let i = 0; i < size; i++) {
    data[i] = center + Math.round((next() * 2 - 1) * steps) / QUANTUM;
  }
  return { shape, data };
}

function encode(data: Float32Array, dtype: StoredDType): Uint8Array {
  if (dtype === 'F32')
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = bits[i];
    if (dtype === 'BF16') {
      out[i] = b >>> 16;
      continue;
    }
    const sign = (b >>> 16) & 0x8000;
    const exponent = (b >>> 23) & 0xff;
    if (exponent === 0) {
      out[i] = sign;
      continue;
    }
    // Values are multiples of 1/64 below 2^15, so they are normal halves with no rounding.
    out[i] = sign | ((exponent - 127 + 15) << 10) | ((b >>> 13) & 0x3ff);
  }
  return new Uint8Array(out.buffer);
}

export function writeSafetensors(file: string, tensors: [string, StoredTensor][], dtype: StoredDType): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.raw ? t.raw.bytes : encode(t.data, dtype);
    header[name] = {
      dtype: t.raw?.dtype ?? dtype,
      shape: t.shape,
      data_offsets: [offset, offset + bytes.byteLength],
    };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, length);
    fs.writeSync(fd, Buffer.from(json));
    for (const blob of blobs) fs.writeSync(fd, blob);
  } finally {
    fs.closeSync(fd);
  }
}

// Many tests take tempDir from here, beside writeRandomCheckpoint.
export { tempDir } from './tempFiles';

/** bert-base-uncased's shape with small random weights, for benchmarks (only speed and memory mean anything). */
export const BERT_BASE_SHAPE: CheckpointSpec = {
  layers: 12,
  heads: 12,
  hidden: 768,
  intermediate: 3072,
  vocab: 30522,
  maxPositions: 512,
  numLabels: 2,
  range: 0.05,
};

export function writeRandomCheckpoint(dir: string, spec: CheckpointSpec): WrittenCheckpoint {
  fs.mkdirSync(dir, { recursive: true });
  const h = spec.hidden;
  const inter = spec.intermediate ?? 4 * h;
  const vocab = spec.vocab ?? 50;
  const maxPositions = spec.maxPositions ?? 64;
  const typeVocab = spec.typeVocab ?? 2;
  const range = spec.range ?? 0.5;
  const next = rng(spec.seed ?? 1);
  const p = spec.prefix === false ? '' : 'bert.';
  const tensors = new Map<string, StoredTensor>();
  const put = (name: string, shape: number[], center = 0, r = range) =>
    tensors.set(name, randomTensor(shape, next, r, center));
  put(`${p}embeddings.word_embeddings.weight`, [vocab, h]);
  put(`${p}embeddings.position_embeddings.weight`, [maxPositions, h]);
  put(`${p}embeddings.token_type_embeddings.weight`, [typeVocab, h]);
  put(`${p}embeddings.LayerNorm.weight`, [h], 1, 0.25);
  put(`${p}embeddings.LayerNorm.bias`, [h], 0, 0.25);
  for (let i = 0; i < spec.layers; i++) {
    const l = `${p}encoder.layer.${i}`;
    for (const k of ['query', 'key', 'value']) {
      put(`${l}.attention.self.${k}.weight`, [h, h]);
      put(`${l}.attention.self.${k}.bias`, [h]);
    }
    put(`${l}.attention.output.dense.weight`, [h, h]);
    put(`${l}.attention.output.dense.bias`, [h]);
    put(`${l}.attention.output.LayerNorm.weight`, [h], 1, 0.25);
    put(`${l}.attention.output.LayerNorm.bias`, [h], 0, 0.25);
    put(`${l}.intermediate.dense.weight`, [inter, h]);
    put(`${l}.intermediate.dense.bias`, [inter]);
    put(`${l}.output.dense.weight`, [h, inter]);
    put(`${l}.output.dense.bias`, [h]);
    put(`${l}.output.LayerNorm.weight`, [h], 1, 0.25);
    put(`${l}.output.LayerNorm.bias`, [h], 0, 0.25);
  }
  put(`${p}pooler.dense.weight`, [h, h]);
  put(`${p}pooler.dense.bias`, [h]);
  put('classifier.weight', [spec.numLabels, h]);
  put('classifier.bias', [spec.numLabels]);
  spec.mutate?.(tensors);

  const config: Record<string, unknown> = {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: vocab,
    hidden_size: h,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    intermediate_size: inter,
    hidden_act: 'gelu',
    max_position_embeddings: maxPositions,
    type_vocab_size: typeVocab,
    layer_norm_eps: spec.layerNormEps ?? 1e-12,
    position_embedding_type: 'absolute',
    num_labels: spec.numLabels,
    ...spec.configOverrides,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));

  const dtype = spec.dtype ?? 'F32';
  const entries = [...tensors.entries()];
  const shards = spec.shards ?? 1;
  if (shards <= 1) {
    writeSafetensors(path.join(dir, 'model.safetensors'), entries, dtype);
  } else {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(entries.length / shards);
    for (let s = 0; s < shards; s++) {
      const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = entries.slice(s * per, (s + 1) * per);
      writeSafetensors(path.join(dir, name), part, dtype);
      for (const [t] of part) weightMap[t] = name;
    }
    fs.writeFileSync(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    );
  }
  return { dir, tensors, config };
}
