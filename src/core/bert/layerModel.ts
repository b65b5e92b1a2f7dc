import * as ort from 'onnxruntime-node';
import { createSessionOn } from '../device';
import { openBertCheckpoint, type BertCheckpoint } from '../model/checkpoint';
import type { BertConfig } from '../model/config';
import { cpuSessionOptions, type CpuSessionSettings } from '../sessionOptions';
import {
  ATTRIBUTION_IO,
  buildEmbeddingGraph,
  buildHeadGraph,
  buildLayerGraph,
  readLayerWeights,
} from './attributionGraph';

const PRODUCER = 'ranklens-layers';

/** A padded batch for the layer model: ids, types, padding mask and per-pair [seq, seq] masks. */
export interface LayerBatch {
  readonly size: number;
  readonly seqLength: number;
  readonly inputIds: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  /** [batch, seq, seq]: 1 = key removed before softmax. */
  readonly tokenPairs: Float32Array;
  /** [batch, seq, seq]: 1 = probability zeroed after softmax. */
  readonly attentionPairs: Float32Array;
}

/**
 * BERT run one layer at a time (embeddings -> masked layer x L -> head), so a run can stop after layer i and
 * continue from its hidden state: what lets the interaction-mask experiment share the masked prefix between
 * depths. Each layer is its own session with its weights as initializers (as fast per layer as the full graph).
 */
export class BertLayerModel {
  private disposed = false;

  private constructor(
    readonly config: BertConfig,
    private readonly embeddings: ort.InferenceSession,
    /** One session per layer, its weights baked in (onnxruntime prepacks them for its matrix products). */
    private readonly layers: readonly ort.InferenceSession[],
    private readonly head: ort.InferenceSession,
  ) {}

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
    for (const w of opened.weights.layers) {
      const graph = buildLayerGraph(opened.config, { masked: true, fixed: readLayerWeights(w) });
      layers.push(await create(graph.encode(PRODUCER).toBytes()));
    }
    const head = await create(buildHeadGraph(opened, false).encode(PRODUCER).toBytes());
    return new BertLayerModel(opened.config, embeddings, layers, head);
  }

  get numLayers(): number {
    return this.config.numLayers;
  }

  /**
   * Scores of the batch with the batch's masks applied in layers 0..i-1 only, for every depth i = 0..L
   * ([depth][pair]). The masked chain runs once; depth i continues unmasked from its layer-i state, so the
   * L + 1 settings cost L(L + 1) / 2 + L layer passes instead of L(L + 1). Depths below `fromDepth` are
   * not scored (depth 0, the unmasked model, is the same for every mask: callers score it once).
   */
  async scoresByMaskDepth(batch: LayerBatch, fromDepth = 0, signal?: AbortSignal): Promise<Float32Array[]> {
    if (this.disposed) throw new Error('this BertLayerModel has been disposed');
    const { size: b, seqLength: n } = batch;
    const h = this.config.hiddenSize;
    const L = this.numLayers;
    const padding = new ort.Tensor('int64', batch.attentionMask, [b, n]);
    const none = new ort.Tensor('float32', new Float32Array(b * n * n), [b, n, n]);
    const masks = {
      token: new ort.Tensor('float32', batch.tokenPairs, [b, n, n]),
      attention: new ort.Tensor('float32', batch.attentionPairs, [b, n, n]),
    };
    const run = async (j: number, x: Float32Array, masked: boolean) => {
      signal?.throwIfAborted();
      const out = await this.layers[j].run({
        [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [b, n, h]),
        [ATTRIBUTION_IO.attentionMask]: padding,
        [ATTRIBUTION_IO.tokenPairs]: masked ? masks.token : none,
        [ATTRIBUTION_IO.attentionPairs]: masked ? masks.attention : none,
      });
      return out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
    };
    const score = async (x: Float32Array) => {
      const out = await this.head.run({ [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [b, n, h]) });
      return Float32Array.from(out[ATTRIBUTION_IO.score].data as Float32Array);
    };
    const embedded = await this.embeddings.run({
      [ATTRIBUTION_IO.inputIds]: new ort.Tensor('int64', batch.inputIds, [b, n]),
      [ATTRIBUTION_IO.tokenTypeIds]: new ort.Tensor('int64', batch.tokenTypeIds, [b, n]),
    });
    let masked = embedded[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
    const scores: Float32Array[] = [];
    for (let depth = 0; depth <= L; depth++) {
      // `masked` is the state after layers 0..depth-1 masked; the rest runs unmasked.
      if (depth >= fromDepth) {
        let x = masked;
        for (let j = depth; j < L; j++) x = await run(j, x, false);
        scores.push(await score(x));
      }
      if (depth < L) masked = await run(depth, masked, true);
    }
    return scores;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of [this.embeddings, ...this.layers, this.head]) await s.release();
  }
}
