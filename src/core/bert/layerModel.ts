import * as ort from 'onnxruntime-node';
import { createSessionOn } from '../device';
import { openBertCheckpoint, type BertCheckpoint } from '../model/checkpoint';
import type { BertConfig } from '../model/config';
import { cpuSessionOptions, type CpuSessionSettings } from '../sessionOptions';
import {
  ATTRIBUTION_IO,
  buildEmbeddingGraph,
  buildLayerGraph,
  buildTailGraph,
  readLayerWeights,
} from './attributionGraph';

const PRODUCER = 'ranklens-layers';

/** A padded batch: ids, types and padding mask. */
export interface PaddedBatch {
  readonly size: number;
  readonly seqLength: number;
  readonly inputIds: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
}

/** A padded batch for the layer model with per-pair [seq, seq] masks. */
export interface LayerBatch extends PaddedBatch {
  /** [batch, seq, seq]: 1 = key removed before softmax. */
  readonly tokenPairs: Float32Array;
  /** [batch, seq, seq]: 1 = probability zeroed after softmax. */
  readonly attentionPairs: Float32Array;
}

/**
 * BERT run one layer at a time (embeddings -> masked layer x (L - 1) -> tail), so a run can stop after layer i
 * and continue from its hidden state: what lets the interaction-mask experiment share the masked prefix between
 * depths, and head importance share the unmasked layers below the masked head. Each layer is its own session
 * with its weights as initializers (as fast per layer as the full graph). Every run ends in a tail, the last
 * layer for [CLS] only and the head (the score reads nothing else): unmasked, with the pair masks' [CLS] rows,
 * or with each head masked alone. Head importance's head-variants sessions are built on first use.
 */
export class BertLayerModel {
  private disposed = false;

  private constructor(
    readonly config: BertConfig,
    private readonly embeddings: ort.InferenceSession,
    /**
     * One session per layer below the last, its weights baked in (onnxruntime prepacks them for its matrix
     * products): every run ends in a [CLS]-only tail.
     */
    private readonly layers: readonly ort.InferenceSession[],
    /**
     * The last layer for [CLS] only with the pair masks and without them, from the same input, and the head:
     * [2 * batch] scores, masked then unmasked.
     */
    private readonly maskedTail: ort.InferenceSession,
    /** The last layer for [CLS] only (head mask input) and the head. */
    private readonly tail: ort.InferenceSession,
    /** Builds the head-variants sessions, on first use: only head importance needs them. */
    private readonly createHeadVariants: () => Promise<HeadVariantSessions>,
    /** Builds the layers below the last with and without the pair masks, on first use (Figure 4's). */
    private readonly createMaskPairs: () => Promise<readonly ort.InferenceSession[]>,
  ) {}

  private headVariants?: Promise<HeadVariantSessions>;
  private maskPairs?: Promise<readonly ort.InferenceSession[]>;

  static async load(
    checkpoint: string | BertCheckpoint,
    options: CpuSessionSettings = {},
  ): Promise<BertLayerModel> {
    const opened = typeof checkpoint === 'string' ? openBertCheckpoint(checkpoint) : checkpoint;
    const sessionOptions = cpuSessionOptions(options);
    const create = (bytes: Uint8Array) =>
      createSessionOn(options.device ?? 'cpu', () => ort.InferenceSession.create(bytes, sessionOptions));
    const embeddings = await create(buildEmbeddingGraph(opened).encode(PRODUCER).toBytes());
    const layers: ort.InferenceSession[] = [];
    // One at a time, so only one layer's weights are in a protobuf buffer at once.
    for (const w of opened.weights.layers.slice(0, -1)) {
      const fixed = readLayerWeights(w);
      const graph = buildLayerGraph(opened.config, { masked: true, fixed });
      layers.push(await create(graph.encode(PRODUCER).toBytes()));
    }
    const last = readLayerWeights(opened.weights.layers[opened.config.numLayers - 1]);
    const maskedTail = await create(
      buildTailGraph(opened, last, { masked: true, alsoUnmasked: true }).encode(PRODUCER).toBytes(),
    );
    const tail = await create(buildTailGraph(opened, last).encode(PRODUCER).toBytes());
    const createHeadVariants = async (): Promise<HeadVariantSessions> => {
      const below: ort.InferenceSession[] = [];
      for (const w of opened.weights.layers.slice(0, -1)) {
        const graph = buildLayerGraph(opened.config, { headVariants: true, fixed: readLayerWeights(w) });
        below.push(await create(graph.encode(PRODUCER).toBytes()));
      }
      const graph = buildTailGraph(opened, last, { headVariants: true });
      return { layers: below, tail: await create(graph.encode(PRODUCER).toBytes()) };
    };
    const createMaskPairs = async () => {
      const pairs: ort.InferenceSession[] = [];
      for (const w of opened.weights.layers.slice(0, -1)) {
        const fixed = readLayerWeights(w);
        const graph = buildLayerGraph(opened.config, { masked: true, alsoUnmasked: true, fixed });
        pairs.push(await create(graph.encode(PRODUCER).toBytes()));
      }
      return pairs;
    };
    return new BertLayerModel(
      opened.config,
      embeddings,
      layers,
      maskedTail,
      tail,
      createHeadVariants,
      createMaskPairs,
    );
  }

  get numLayers(): number {
    return this.config.numLayers;
  }

  /**
   * Scores of the batch with the batch's masks applied in layers 0..i-1 only, for every depth i = 0..L
   * ([depth][pair]). The masked chain runs once; depth i continues unmasked from its layer-i state (its last
   * layer for [CLS] only, as is depth L's), so the L + 1 settings cost about L(L + 1) / 2 + L - 1 layer passes
   * instead of L(L + 1). Masked layer i and depth i's first unmasked layer share their input, so one call
   * computes both, with the queries, keys and values once.
   * Depths below `fromDepth` are not scored (depth 0, the unmasked model, is the same for every mask: callers
   * score it once).
   */
  async scoresByMaskDepth(batch: LayerBatch, fromDepth = 0, signal?: AbortSignal): Promise<Float32Array[]> {
    const run = this.runner(batch, signal);
    const L = this.numLayers;
    const masks = {
      token: new ort.Tensor('float32', batch.tokenPairs, run.pairsDims),
      attention: new ort.Tensor('float32', batch.attentionPairs, run.pairsDims),
    };
    this.maskPairs ??= this.createMaskPairs();
    const pairs = await this.maskPairs;
    let masked = await run.embed();
    const scores: Float32Array[] = [];
    for (let depth = 0; depth < L - 1; depth++) {
      // `masked` is the state after layers 0..depth-1 masked; depth `depth` runs the rest unmasked.
      if (depth < fromDepth) {
        masked = await run.layer(depth, masked, masks);
        continue;
      }
      signal?.throwIfAborted();
      const out = await pairs[depth].run(run.maskedFeeds(masked, masks));
      const both = out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
      const half = both.length / 2;
      scores.push(await run.finish(both.slice(half), depth + 1));
      masked = both.slice(0, half);
    }
    const [maskedScores, unmaskedScores] = await run.maskedTail(masked, masks);
    if (L - 1 >= fromDepth) scores.push(unmaskedScores);
    scores.push(maskedScores);
    return scores;
  }

  /**
   * Scores of the batch unmasked (index 0), then with head h of layer l masked alone (index 1 + l * H + h).
   * The unmasked states below layer l are computed once; one call of layer l's head-variants graph gives the
   * layer's output with each of its heads masked (queries, keys, values and probabilities computed once), and
   * the H variants continue stacked ([H * batch] sequences per call) through the layers above. So the 1 + L * H
   * settings cost about L + H * L(L - 1) / 2 layer passes (the last layer for [CLS] only) in L(L + 3) / 2 + 1
   * calls, instead of (1 + L * H) * L passes. A call costs about H layer passes: batches are sized for that.
   */
  async scoresByHeadMask(batch: PaddedBatch, signal?: AbortSignal): Promise<Float32Array[]> {
    const run = this.runner(batch, signal);
    const { numLayers: L, numHeads: H } = this.config;
    this.headVariants ??= this.createHeadVariants();
    const variants = await this.headVariants;
    const stacked = this.runner(repeated(batch, H), signal);
    const states = [await run.embed()];
    for (let l = 0; l < L - 1; l++) states.push(await run.layer(l, states[l]));
    const scores = [await run.finish(states[L - 1], L - 1)];
    const byHead = (joined: Float32Array) =>
      Array.from({ length: H }, (_, h) => joined.slice(h * batch.size, (h + 1) * batch.size));
    for (let l = 0; l < L - 1; l++) {
      signal?.throwIfAborted();
      const out = await variants.layers[l].run(run.layerFeeds(states[l]));
      scores.push(...byHead(await stacked.finish(out[ATTRIBUTION_IO.hiddenOut].data as Float32Array, l + 1)));
    }
    signal?.throwIfAborted();
    const out = await variants.tail.run(run.layerFeeds(states[L - 1]));
    scores.push(...byHead(out[ATTRIBUTION_IO.score].data as Float32Array));
    return scores;
  }

  /** The batch's calls to the embedding, layer and tail sessions. */
  private runner(batch: PaddedBatch, signal: AbortSignal | undefined) {
    if (this.disposed) throw new Error('this BertLayerModel has been disposed');
    const { size: b, seqLength: n } = batch;
    const { hiddenSize: h, numHeads: H, numLayers: L } = this.config;
    const pairsDims = [b, n, n];
    const padding = new ort.Tensor('int64', batch.attentionMask, [b, n]);
    const none = new ort.Tensor('float32', new Float32Array(b * n * n), pairsDims);
    const keepAll = new ort.Tensor('float32', new Float32Array(b * H).fill(1), [b, H]);
    const hidden = (x: Float32Array) => new ort.Tensor('float32', x, [b, n, h]);
    const layer = async (
      j: number,
      x: Float32Array,
      masks?: { readonly token: ort.Tensor; readonly attention: ort.Tensor },
    ) => {
      signal?.throwIfAborted();
      const out = await this.layers[j].run({
        [ATTRIBUTION_IO.hidden]: hidden(x),
        [ATTRIBUTION_IO.attentionMask]: padding,
        [ATTRIBUTION_IO.tokenPairs]: masks?.token ?? none,
        [ATTRIBUTION_IO.attentionPairs]: masks?.attention ?? none,
      });
      return out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
    };
    return {
      pairsDims,
      layer,
      /** A head-variants graph's feeds: the layer input and the padding. */
      layerFeeds: (x: Float32Array) => ({
        [ATTRIBUTION_IO.hidden]: hidden(x),
        [ATTRIBUTION_IO.attentionMask]: padding,
      }),
      embed: async () => {
        signal?.throwIfAborted();
        const out = await this.embeddings.run({
          [ATTRIBUTION_IO.inputIds]: new ort.Tensor('int64', batch.inputIds, [b, n]),
          [ATTRIBUTION_IO.tokenTypeIds]: new ort.Tensor('int64', batch.tokenTypeIds, [b, n]),
        });
        return out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
      },
      /** Layers from..L-1 unmasked from x (the last for [CLS] only), then the head. */
      finish: async (x: Float32Array, from: number) => {
        for (let j = from; j < L - 1; j++) x = await layer(j, x);
        signal?.throwIfAborted();
        const out = await this.tail.run({
          [ATTRIBUTION_IO.hidden]: hidden(x),
          [ATTRIBUTION_IO.attentionMask]: padding,
          [ATTRIBUTION_IO.headKeep]: keepAll,
        });
        return Float32Array.from(out[ATTRIBUTION_IO.score].data as Float32Array);
      },
      /** A masked graph's feeds. */
      maskedFeeds: (x: Float32Array, masks: PairMasks) => ({
        [ATTRIBUTION_IO.hidden]: hidden(x),
        [ATTRIBUTION_IO.attentionMask]: padding,
        [ATTRIBUTION_IO.tokenPairs]: masks.token,
        [ATTRIBUTION_IO.attentionPairs]: masks.attention,
      }),
      /** The last layer for [CLS] only from x with the masks and without, then the head: [masked, unmasked]. */
      maskedTail: async (x: Float32Array, masks: PairMasks) => {
        signal?.throwIfAborted();
        const out = await this.maskedTail.run({
          [ATTRIBUTION_IO.hidden]: hidden(x),
          [ATTRIBUTION_IO.attentionMask]: padding,
          [ATTRIBUTION_IO.tokenPairs]: masks.token,
          [ATTRIBUTION_IO.attentionPairs]: masks.attention,
        });
        const both = out[ATTRIBUTION_IO.score].data as Float32Array;
        return [both.slice(0, b), both.slice(b)];
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of [this.embeddings, ...this.layers, this.maskedTail, this.tail]) await s.release();
    for (const s of (await this.maskPairs?.catch(() => undefined)) ?? []) await s.release();
    const variants = await this.headVariants?.catch(() => undefined);
    for (const s of [...(variants?.layers ?? []), ...(variants ? [variants.tail] : [])]) await s.release();
  }
}

/** A batch's per-pair token and attention masks, [batch, seq, seq] each. */
interface PairMasks {
  readonly token: ort.Tensor;
  readonly attention: ort.Tensor;
}

/** Each layer below the last with every head masked alone, and the tail with every last-layer head masked alone. */
interface HeadVariantSessions {
  readonly layers: readonly ort.InferenceSession[];
  readonly tail: ort.InferenceSession;
}

/** The batch's pairs `times` times over (copy k's pair p is sequence k * size + p), for stacked variants. */
function repeated(batch: PaddedBatch, times: number): PaddedBatch {
  const tile = (a: BigInt64Array) => {
    const out = new BigInt64Array(a.length * times);
    for (let k = 0; k < times; k++) out.set(a, k * a.length);
    return out;
  };
  return {
    size: batch.size * times,
    seqLength: batch.seqLength,
    inputIds: tile(batch.inputIds),
    tokenTypeIds: tile(batch.tokenTypeIds),
    attentionMask: tile(batch.attentionMask),
  };
}
