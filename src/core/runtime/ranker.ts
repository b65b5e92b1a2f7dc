import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ensureBertGraphFile, hashMemoDirOf, prepareGraphCacheDir } from '../bert/cache';
import { BERT_IO, INT8_VARIANTS, type GraphVariant } from '../bert/graph';
import { openBertCheckpoint, type BertCheckpoint } from '../model/checkpoint';
import { scoreFromLogits } from '../model/score';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_RUN_FLOPS,
  lengthSortedBatches,
  pairsPerRun,
  padBatch,
  preparePair,
  type PairLimits,
  type PreparedPair,
} from './batch';
import { ATTENTION_KINDS, attentionKindIndex, type AttentionSums } from './attentionKinds';
import { compileMasks, pairMaskMatrices } from './masks';
import { BertLayerModel } from '../bert/layerModel';
import { createSessionOn } from '../device';
import type { TokenKind } from '../text/types';
import { abortReason, callSignal } from '../progress';
import { cpuSessionOptions } from '../sessionOptions';
import type {
  InspectOptions,
  InspectResult,
  MaskOptions,
  MaskSpec,
  ModelInfo,
  PairInput,
  RankerOptions,
  ScoreOptions,
  ScoreResult,
  Scorer,
} from './types';

/** Runs a BERT cross-encoder checkpoint through onnxruntime on graphs built by src/core/bert. */
export class Ranker implements Scorer {
  private readonly sessions = new Map<GraphVariant, Promise<ort.InferenceSession>>();
  /** For scoreByMaskDepth, loaded on first use. */
  private layerModel: Promise<BertLayerModel> | undefined;
  private disposed = false;

  private constructor(
    private readonly checkpoint: BertCheckpoint,
    private readonly options: RankerOptions,
    readonly info: ModelInfo,
  ) {}

  /** Opens and checks the checkpoint and prepares the scoring session (building or reusing the cached graph). */
  static async load(checkpointDir: string, options: RankerOptions = {}): Promise<Ranker> {
    options.signal?.throwIfAborted();
    // Before the checkpoint's content hash is remembered in the cache folder, which must be a cache's own.
    if (options.cacheDir) prepareGraphCacheDir(options.cacheDir);
    const checkpoint = openBertCheckpoint(checkpointDir, {
      hashMemoDir: options.cacheDir ? hashMemoDirOf(options.cacheDir) : undefined,
      signal: options.signal,
    });
    const { config } = checkpoint;
    const maxLength = Math.min(options.maxLength ?? config.maxPositions, config.maxPositions);
    if (options.maxRunFlops !== undefined && !(options.maxRunFlops > 0))
      throw new Error(`maxRunFlops ${options.maxRunFlops} must be positive`);
    if (!(maxLength >= 3))
      throw new Error(`maxLength ${options.maxLength} is too small (at least 3: [CLS] q [SEP])`);
    const info: ModelInfo = {
      dir: checkpointDir,
      fingerprint: checkpoint.fingerprint,
      numLayers: config.numLayers,
      numHeads: config.numHeads,
      hiddenSize: config.hiddenSize,
      numLabels: config.numLabels,
      vocabSize: config.vocabSize,
      maxLength,
      // Said only where it is not the default, so an fp32 model describes itself as it always has.
      ...(options.precision === 'int8' ? { precision: options.precision } : {}),
    };
    const { signal, ...kept } = options;
    const ranker = new Ranker(checkpoint, kept, info);
    try {
      await ranker.session('score', signal);
    } catch (error) {
      await ranker.dispose();
      throw error;
    }
    return ranker;
  }

  /** Scores pairs in length-sorted batches; results come back in input order. */
  async score(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<ScoreResult[]> {
    const prepared = pairs.map((p, i) => preparePair(p, this.limits(), i));
    const batchSize = options.batchSize ?? this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size ${batchSize} must be a positive integer`);
    const call = callSignal(options, 'scoring');
    try {
      return await this.scoreBatches(prepared, batchSize, options, call.signal);
    } finally {
      call.dispose();
    }
  }

  private async scoreBatches(
    prepared: readonly PreparedPair[],
    batchSize: number,
    options: ScoreOptions,
    signal: AbortSignal | undefined,
  ): Promise<ScoreResult[]> {
    const session = await this.session('score', signal);
    const results: ScoreResult[] = new Array(prepared.length);
    let done = 0;
    for (const batch of this.batches(prepared, batchSize, this.info.numLayers)) {
      await nextTurn();
      if (signal?.aborted) throw abortReason(signal, 'scoring');
      const out = await session.run(
        this.feeds(
          batch.map((i) => prepared[i]),
          options,
        ),
        [BERT_IO.logits],
      );
      const logits = out[BERT_IO.logits].data as Float32Array;
      const labels = this.info.numLabels;
      batch.forEach((pairIndex, b) => {
        results[pairIndex] = scoreFromLogits(Array.from(logits.subarray(b * labels, (b + 1) * labels)));
      });
      done += batch.length;
      options.onProgress?.(done, prepared.length);
    }
    return results;
  }

  /**
   * Scores pairs (with tokens) and returns, per pair, the attention mass between token kinds for every layer
   * and head, reduced inside the graph (the attention-stats variant): no [L, H, n, n] tensor leaves onnxruntime.
   */
  async attentionSums(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<AttentionSums[]> {
    const prepared = pairs.map((p, i) => preparePair(p, this.limits(), i));
    prepared.forEach((p, i) => {
      if (!p.kinds)
        throw new Error(`pair ${i}: attention statistics need pairs with tokens (an EncodedPair)`);
    });
    const batchSize = options.batchSize ?? this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const session = await this.session('attention-stats');
    const { numLayers: L, numHeads: H } = this.info;
    const K = ATTENTION_KINDS.length;
    const results: AttentionSums[] = new Array(pairs.length);
    let done = 0;
    for (const batch of this.batches(prepared, batchSize, L)) {
      await nextTurn();
      options.signal?.throwIfAborted();
      const members = batch.map((i) => prepared[i]);
      const n = Math.max(...members.map((p) => p.inputIds.length));
      const kinds = new Float32Array(members.length * n * K);
      const counts = members.map((p, b) => {
        const count = new Array<number>(K).fill(0);
        (p.kinds as TokenKind[]).forEach((kind, i) => {
          const k = attentionKindIndex(kind, p.tokenTypeIds[i]);
          if (k < 0) return;
          kinds[(b * n + i) * K + k] = 1;
          count[k]++;
        });
        return count;
      });
      const feeds = this.feeds(members, options);
      feeds[BERT_IO.tokenKinds] = new ort.Tensor('float32', kinds, [members.length, n, K]);
      const out = await session.run(feeds, [BERT_IO.score, BERT_IO.attentionKindSums]);
      const scores = out[BERT_IO.score].data as Float32Array;
      const sums = out[BERT_IO.attentionKindSums].data as Float32Array;
      const B = members.length;
      batch.forEach((pairIndex, b) => {
        // [L, batch, H, K, K] -> this pair's [L, H, K, K].
        const own = new Float32Array(L * H * K * K);
        for (let l = 0; l < L; l++) {
          const from = (l * B + b) * H * K * K;
          own.set(sums.subarray(from, from + H * K * K), l * H * K * K);
        }
        results[pairIndex] = { score: scores[b], kindCounts: counts[b], sums: own };
      });
      done += batch.length;
      options.onProgress?.(done, pairs.length);
    }
    return results;
  }

  /**
   * Scores with `masks` applied in the first i layers, for every depth i = fromDepth..L ([depth - fromDepth]
   * [pair]). The spec's `layers` are ignored: the depth decides. Runs on a layer-by-layer model (loaded on first
   * use) that computes each batch's masked prefix once and continues every depth from it.
   */
  async scoreByMaskDepth(
    pairs: readonly PairInput[],
    masks: readonly MaskSpec[],
    options: ScoreOptions & { readonly fromDepth?: number } = {},
  ): Promise<number[][]> {
    const prepared = pairs.map((p, i) => preparePair(p, this.limits(), i));
    const batchSize = options.batchSize ?? this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const fromDepth = options.fromDepth ?? 0;
    const L = this.info.numLayers;
    if (!Number.isInteger(fromDepth) || fromDepth < 0 || fromDepth > L)
      throw new Error(`fromDepth ${fromDepth} is outside 0-${L}`);
    this.layerModel ??= this.loadLayerModel();
    const model = await this.layerModel;
    const scores = Array.from({ length: L + 1 - fromDepth }, () => new Array<number>(pairs.length));
    let done = 0;
    // The layer model runs one layer per onnxruntime call.
    for (const batch of this.batches(prepared, batchSize, L)) {
      await nextTurn();
      options.signal?.throwIfAborted();
      const members = batch.map((i) => prepared[i]);
      const padded = padBatch(members);
      const n = padded.seqLength;
      const tokenPairs = new Float32Array(members.length * n * n);
      const attentionPairs = new Float32Array(members.length * n * n);
      members.forEach((p, b) => {
        const m = pairMaskMatrices(
          { length: p.inputIds.length, kinds: p.kinds, segments: p.tokenTypeIds },
          n,
          masks,
        );
        tokenPairs.set(m.token, b * n * n);
        attentionPairs.set(m.attention, b * n * n);
      });
      const byDepth = await model.scoresByMaskDepth(
        { ...padded, tokenPairs, attentionPairs },
        fromDepth,
        options.signal,
      );
      byDepth.forEach((s, d) => batch.forEach((pairIndex, b) => (scores[d][pairIndex] = s[b])));
      done += batch.length;
      options.onProgress?.(done, pairs.length);
    }
    return scores;
  }

  /**
   * Scores unmasked ([0][pair]) and with each head masked alone ([1 + l * H + h][pair]), as `score` with that
   * head mask gives them. Runs on the layer-by-layer model, which shares the unmasked layers below each head.
   */
  async scoreByHeadMask(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<number[][]> {
    const prepared = pairs.map((p, i) => preparePair(p, this.limits(), i));
    const batchSize = options.batchSize ?? this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const { numLayers: L, numHeads: H } = this.info;
    this.layerModel ??= this.loadLayerModel();
    const model = await this.layerModel;
    const scores = Array.from({ length: 1 + L * H }, () => new Array<number>(pairs.length));
    let done = 0;
    // The layer model's calls each run one layer for the H head variants of every pair: H layers' work.
    for (const batch of this.batches(prepared, batchSize, H)) {
      await nextTurn();
      options.signal?.throwIfAborted();
      const bySetting = await model.scoresByHeadMask(padBatch(batch.map((i) => prepared[i])), options.signal);
      bySetting.forEach((s, k) => batch.forEach((pairIndex, b) => (scores[k][pairIndex] = s[b])));
      done += batch.length;
      options.onProgress?.(done, pairs.length);
    }
    return scores;
  }

  /** One forward pass with every layer's attention probabilities and hidden states. */
  async inspect(pair: PairInput, options: InspectOptions = {}): Promise<InspectResult> {
    const prepared = preparePair(pair, this.limits());
    const call = callSignal(options, 'inspecting');
    let out: ort.InferenceSession.ReturnType;
    try {
      const session = await this.session('inspect', call.signal);
      await nextTurn();
      if (call.signal?.aborted) throw abortReason(call.signal, 'inspecting');
      out = await session.run(this.feeds([prepared], options));
    } finally {
      call.dispose();
    }
    const logits = Array.from(out[BERT_IO.logits].data as Float32Array);
    const n = prepared.inputIds.length;
    return {
      ...scoreFromLogits(logits),
      inputIds: Array.from(prepared.inputIds),
      tokenTypeIds: Array.from(prepared.tokenTypeIds),
      tokens: pair.tokens?.slice(0, n),
      numLayers: this.info.numLayers,
      numHeads: this.info.numHeads,
      seqLength: n,
      hiddenSize: this.info.hiddenSize,
      attentions: out[BERT_IO.attentions].data as Float32Array,
      hiddenStates: out[BERT_IO.hiddenStates].data as Float32Array,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s).release();
    const layers = this.layerModel;
    this.layerModel = undefined;
    await layers?.then((m) => m.dispose()).catch(() => undefined);
  }

  /**
   * Length-sorted batches of at most `batchSize` pairs, cut smaller where one onnxruntime call of
   * `layersPerRun` layers would exceed maxRunFlops (a cancel is seen only between calls).
   */
  private batches(prepared: readonly PreparedPair[], batchSize: number, layersPerRun: number): number[][] {
    const maxRunFlops = this.options.maxRunFlops ?? DEFAULT_MAX_RUN_FLOPS;
    const shape = this.checkpoint.config;
    return lengthSortedBatches(
      prepared.map((p) => p.inputIds.length),
      batchSize,
      (seqLength) => pairsPerRun(shape, seqLength, layersPerRun, maxRunFlops),
    );
  }

  private limits(): PairLimits {
    const { config } = this.checkpoint;
    return {
      maxLength: this.info.maxLength,
      vocabSize: config.vocabSize,
      typeVocabSize: config.typeVocabSize,
    };
  }

  private feeds(pairs: readonly PreparedPair[], masks: MaskOptions): Record<string, ort.Tensor> {
    const batch = padBatch(pairs);
    const { size: b, seqLength: n } = batch;
    const { numLayers: L, numHeads: H } = this.info;
    const compiled = compileMasks(
      pairs.map((p) => ({ length: p.inputIds.length, kinds: p.kinds, segments: p.tokenTypeIds })),
      n,
      L,
      H,
      masks.masks,
      masks.headMasks,
    );
    const G = compiled.numGroups;
    return {
      [BERT_IO.inputIds]: new ort.Tensor('int64', batch.inputIds, [b, n]),
      [BERT_IO.tokenTypeIds]: new ort.Tensor('int64', batch.tokenTypeIds, [b, n]),
      [BERT_IO.attentionMask]: new ort.Tensor('int64', batch.attentionMask, [b, n]),
      [BERT_IO.maskGroups]: new ort.Tensor('float32', compiled.groups, [b, n, G]),
      [BERT_IO.tokenMask]: new ort.Tensor('float32', compiled.tokenTable, [L, G, G]),
      [BERT_IO.attentionMaskTable]: new ort.Tensor('float32', compiled.attentionTable, [L, G, G]),
      [BERT_IO.headMask]: new ort.Tensor('float32', compiled.headMask, [L, H]),
    };
  }

  /**
   * The layer model holds a dozen sessions, each with its own onnxruntime thread pool, and calls them in turn:
   * idle pools that spin take the cores from the one that runs, so its threads sleep between calls instead.
   */
  private loadLayerModel(): Promise<BertLayerModel> {
    return BertLayerModel.load(this.checkpoint, { ...this.options, spinning: false });
  }

  private session(variant: GraphVariant, signal?: AbortSignal): Promise<ort.InferenceSession> {
    if (this.disposed) return Promise.reject(new Error('this Ranker has been disposed'));
    let session = this.sessions.get(variant);
    if (!session) {
      session = createSession(this.checkpoint, variant, { ...this.options, signal });
      this.sessions.set(variant, session);
      session.catch(() => this.sessions.delete(variant));
    }
    return session;
  }
}

/**
 * Lets the event loop read its messages before each onnxruntime call: a cancel that arrived during the
 * previous call (which blocked the thread), or together with this request, aborts the signal first, so no
 * call starts after it.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Also used by the benchmark to time graph variants directly. */
export async function createSession(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  options: Pick<
    RankerOptions,
    'threads' | 'cacheDir' | 'spinning' | 'maxCacheBytes' | 'signal' | 'device' | 'precision'
  >,
): Promise<ort.InferenceSession> {
  const sessionOptions = cpuSessionOptions(options);
  const device = options.device ?? 'cpu';
  // The precision applies to score graphs only: inspection and attention statistics stay exact.
  const precision = INT8_VARIANTS.includes(variant) ? (options.precision ?? 'fp32') : 'fp32';
  if (options.cacheDir) {
    const file = ensureBertGraphFile(checkpoint, variant, options.cacheDir, {
      maxBytes: options.maxCacheBytes,
      signal: options.signal,
      precision,
    });
    return createSessionOn(device, () => ort.InferenceSession.create(file, sessionOptions));
  }
  // Without a cache the graph still goes through a (temporary) file: streaming the weights to disk
  // avoids holding a second in-memory copy of a 440 MB - 1.3 GB model while onnxruntime loads it.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-graph-'));
  try {
    const file = ensureBertGraphFile(checkpoint, variant, scratch, { signal: options.signal, precision });
    return await createSessionOn(device, () => ort.InferenceSession.create(file, sessionOptions));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
