import * as ort from 'onnxruntime-node';
import { createSessionOn } from '../device';
import { cpuSessionOptions, type CpuSessionSettings } from '../sessionOptions';
import { openBertCheckpoint, type BertCheckpoint } from '../model/checkpoint';
import type { GraphBuilder } from '../graph/builder';
import type { Dim } from '../graph/onnx';
import { splitAtSeed } from '../graph/split';
import type { BertConfig } from '../model/config';
import {
  ATTRIBUTION_IO,
  LAYER_WEIGHT_NAMES,
  buildChainGraph,
  buildEmbeddingGraph,
  buildHeadGraph,
  buildLayerGraph,
  chainGradientName,
  chainWeightName,
  readLayerWeights,
} from './attributionGraph';

export interface GradientModelOptions extends CpuSessionSettings {
  /** Interpolation points per onnxruntime run (default 16): bounds activation memory. */
  readonly batchSize?: number;
  /**
   * Most bytes of forward values one gradient run may hold for its backward pass (default 256 MiB; 64 MiB
   * for a model whose chains bake their weights in and keep arenas); runs take fewer points than batchSize
   * where a point's values through the chain would exceed it.
   */
  readonly residualBudgetBytes?: number;
  /**
   * Most bytes of layer weights the chain sessions may bake in as initializers (default 128 MiB): above it
   * (BERT-base: 78 layers' worth) every chain reads the one shared set of weight inputs instead.
   */
  readonly bakedWeightBytes?: number;
}

/** Scores and d score / d hidden state at the injection layer, for `count` points of one pair. */
export interface ScoresAndGradients {
  readonly scores: Float32Array;
  /** [count, seq, hidden] row-major. */
  readonly gradients: Float32Array;
}

const DEFAULT_BATCH_SIZE = 16;
const DEFAULT_RESIDUAL_BUDGET = 256 * 2 ** 20;
const SMALL_MODEL_RESIDUAL_BUDGET = 64 * 2 ** 20;
const DEFAULT_BAKED_WEIGHT_BYTES = 128 * 2 ** 20;
const PRODUCER = 'ranklens-attribution';

/**
 * A BERT cross-encoder that can be entered at any layer: hidden state injected at layer k (0 = embedding
 * output, k = L = after the last layer), score out, and the exact gradient of the score with respect to the
 * injected state (reverse-mode autodiff, src/core/graph/autodiff.ts). Gradients from layer k < L come from
 * one chain session per k (buildChainGraph: layers k..L-1, the head and their backward in one run); scores
 * and hidden states from one generic layer session (and its [CLS]-only twin for the last layer on the way to
 * a score). Layer weights are graph inputs, one set of JS tensors fed to every session, except in the chains
 * of a model small enough to bake them in (bakedWeightBytes). Every graph is unpadded: the points of one
 * pair's integrals all have its length. It has the shape of attribution's GradientModel (hiddenStates,
 * scoresAndGradients, gradientsAtEveryLayer), which Integrated Gradients calls.
 */
export class BertGradientModel {
  private disposed = false;

  private constructor(
    readonly config: BertConfig,
    private readonly embeddings: ort.InferenceSession,
    /** One layer, every position. */
    private readonly layer: ort.InferenceSession,
    /** One layer, [CLS]'s output only. */
    private readonly lastLayer: ort.InferenceSession,
    /** chains[k]: score and gradient from layer k (k < L). */
    private readonly chains: readonly ort.InferenceSession[],
    private readonly head: ort.InferenceSession,
    private readonly layerWeights: readonly Record<string, ort.Tensor>[],
    /** chainWeights[k]: the weight inputs of chains[k]. */
    private readonly chainWeights: readonly Record<string, ort.Tensor>[],
    /** Points per onnxruntime run. */
    readonly batchSize: number,
    private readonly residualBudget: number,
    /** Shapes of the forward values one layer's backward reads, 'batch' and 'seq' symbolic. */
    private readonly residualShapes: readonly (readonly Dim[])[],
  ) {}

  /**
   * Builds and opens every session one after another. Opening one blocks the event loop (onnxruntime
   * compiles it synchronously), so between two the loop gets a turn and `signal` is checked: a worker reads
   * a cancel during a load within one session's opening instead of after all L + 4.
   * A stopped load releases what it had opened and rejects with the signal's reason.
   */
  static async load(
    checkpoint: string | BertCheckpoint,
    options: GradientModelOptions & { readonly signal?: AbortSignal } = {},
  ): Promise<BertGradientModel> {
    const { signal } = options;
    signal?.throwIfAborted();
    const opened = typeof checkpoint === 'string' ? openBertCheckpoint(checkpoint) : checkpoint;
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size ${batchSize} must be a positive integer`);
    const { config } = opened;
    const L = config.numLayers;
    const weightArrays = opened.weights.layers.map(readLayerWeights);
    // Chains with their weights baked in run faster (prepacked, transposes folded) but hold their own
    // copies: L(L+1)/2 layers' worth, affordable for a small model only.
    const bakedBytes = ((L * (L + 1)) / 2) * layerBytes(weightArrays[0]);
    const bakedLimit = options.bakedWeightBytes ?? DEFAULT_BAKED_WEIGHT_BYTES;
    const fixed = bakedBytes <= bakedLimit ? weightArrays : undefined;
    // A small model's chains also keep a memory arena each, so a run reuses the buffers it freed instead of
    // handing them back to the system and faulting them in again. An arena keeps its largest run for good,
    // so their runs are cut small (SMALL_MODEL_RESIDUAL_BUDGET); a large model's chains run without one.
    const arenas = fixed !== undefined;
    const residualBudget =
      options.residualBudgetBytes ?? (arenas ? SMALL_MODEL_RESIDUAL_BUDGET : DEFAULT_RESIDUAL_BUDGET);
    if (!(residualBudget > 0)) throw new Error(`residual budget ${residualBudget} must be positive`);
    // Every point of one pair's integrals has the pair's own length: no padding, no mask input.
    const padded = false;
    const graphs: { build: () => GraphBuilder; arena: boolean }[] = [
      { build: () => buildEmbeddingGraph(opened), arena: true },
      { build: () => buildLayerGraph(config, { padded }), arena: true },
      { build: () => buildLayerGraph(config, { padded, clsOnly: true }), arena: true },
      { build: () => buildHeadGraph(opened), arena: true },
      ...Array.from({ length: L }, (_, k) => ({
        build: () => buildChainGraph(opened, k, { padded, fixed }),
        arena: arenas,
      })),
    ];
    const sessionOptions = cpuSessionOptions(options);
    const sessions: ort.InferenceSession[] = [];
    try {
      for (const { build, arena } of graphs) {
        await nextTurn();
        signal?.throwIfAborted();
        const bytes = build().encode(PRODUCER).toBytes();
        sessions.push(
          await createSessionOn(options.device ?? 'cpu', () =>
            ort.InferenceSession.create(bytes, { ...sessionOptions, enableCpuMemArena: arena }),
          ),
        );
      }
    } catch (error) {
      await Promise.allSettled(sessions.map((session) => session.release()));
      throw error;
    }
    const [embeddings, layer, lastLayer, head, ...chains] = sessions;
    const layerWeights = weightArrays.map((arrays) =>
      Object.fromEntries(
        LAYER_WEIGHT_NAMES.map((name) => [
          name,
          new ort.Tensor('float32', arrays[name].data, arrays[name].dims.slice()),
        ]),
      ),
    );
    // Baked chains take no weight inputs; the others read these same tensors, named per layer.
    const chainWeights = Array.from({ length: L }, (_, k) =>
      fixed
        ? {}
        : Object.fromEntries(
            layerWeights
              .slice(k)
              .flatMap((weights, i) =>
                LAYER_WEIGHT_NAMES.map((name) => [chainWeightName(k + i, name), weights[name]] as const),
              ),
          ),
    );
    // What a chain holds per layer and point for its backward: the values the layer's VJP reads.
    const residualShapes = splitAtSeed(
      buildLayerGraph(config, { gradient: true, padded }),
      ATTRIBUTION_IO.gradOut,
    )
      .forward.outputs.filter((o) => o.name !== ATTRIBUTION_IO.hiddenOut && o.shape.includes('batch'))
      .map((o) => o.shape);
    return new BertGradientModel(
      config,
      embeddings,
      layer,
      lastLayer,
      chains,
      head,
      layerWeights,
      chainWeights,
      batchSize,
      residualBudget,
      residualShapes,
    );
  }

  get numLayers(): number {
    return this.config.numLayers;
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /**
   * Hidden states of every layer for a batch of sequences of one length (no padding):
   * [L + 1] arrays of [batch, seq, hidden].
   */
  async hiddenStates(
    inputIds: readonly ArrayLike<number>[],
    tokenTypeIds: readonly ArrayLike<number>[],
  ): Promise<Float32Array[]> {
    this.checkOpen();
    const batch = inputIds.length;
    const seq = inputIds[0]?.length ?? 0;
    if (batch === 0 || seq === 0) throw new Error('hiddenStates needs at least one non-empty sequence');
    const ids = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    for (let b = 0; b < batch; b++) {
      if (inputIds[b].length !== seq || tokenTypeIds[b].length !== seq)
        throw new Error(
          `sequence ${b} has ${inputIds[b].length} ids and ${tokenTypeIds[b].length} types, want ${seq}`,
        );
      for (let i = 0; i < seq; i++) {
        ids[b * seq + i] = BigInt(inputIds[b][i]);
        types[b * seq + i] = BigInt(tokenTypeIds[b][i]);
      }
    }
    const out = await this.embeddings.run({
      [ATTRIBUTION_IO.inputIds]: new ort.Tensor('int64', ids, [batch, seq]),
      [ATTRIBUTION_IO.tokenTypeIds]: new ort.Tensor('int64', types, [batch, seq]),
    });
    const states = [out[ATTRIBUTION_IO.hiddenOut].data as Float32Array];
    for (let j = 0; j < this.numLayers; j++) states.push(await this.runLayer(j, states[j], batch, seq));
    return states;
  }

  /**
   * Injects `count` hidden states ([count, seq, hidden]) at layer k and returns each point's score and
   * d score / d injected state. Points are run up to `batchSize` at a time.
   */
  async scoresAndGradients(
    layer: number,
    points: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<ScoresAndGradients> {
    const { scores, gradients } = await this.runGradients(layer, points, count, false, signal);
    return { scores, gradients: gradients[0] };
  }

  /**
   * For `count` layer-0 states ([count, seq, hidden]; a pair and its baselines): each one's score and the
   * gradient at the input of every layer 0..L-1 of the states the model computes from it, in one pass of
   * the layer-0 chain. They are what every layer's integral needs at its ends (alpha = 0 and 1), where a
   * path is exactly the pair's or a baseline's own state. gradients[k] is [count, seq, hidden].
   */
  async gradientsAtEveryLayer(
    states: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<{ readonly scores: Float32Array; readonly gradients: readonly Float32Array[] }> {
    return this.runGradients(0, states, count, true, signal);
  }

  private async runGradients(
    layer: number,
    points: Float32Array,
    count: number,
    everyLayer: boolean,
    signal?: AbortSignal,
  ): Promise<{ scores: Float32Array; gradients: Float32Array[] }> {
    const seq = this.injectedLength(layer, points, count, 'points');
    const L = this.numLayers;
    const h = this.config.hiddenSize;
    const scores = new Float32Array(count);
    // The gradient at the injection layer, then (everyLayer) at each later layer's input.
    const outputs = [ATTRIBUTION_IO.gradIn as string];
    if (everyLayer) for (let j = layer + 1; j < L; j++) outputs.push(chainGradientName(j));
    const gradients = outputs.map(() => new Float32Array(points.length));
    const pointSize = seq * h;
    for (let start = 0; start < count;) {
      signal?.throwIfAborted();
      const n = Math.min(this.pointsPerRun(seq, L - layer), count - start);
      const hidden = new ort.Tensor('float32', points.slice(start * pointSize, (start + n) * pointSize), [
        n,
        seq,
        h,
      ]);
      const fetches = [ATTRIBUTION_IO.score, ...outputs];
      const out =
        layer === L
          ? await this.head.run({ [ATTRIBUTION_IO.hidden]: hidden })
          : await this.chains[layer].run(
              { ...this.chainWeights[layer], [ATTRIBUTION_IO.hidden]: hidden },
              fetches,
            );
      scores.set(out[ATTRIBUTION_IO.score].data as Float32Array, start);
      outputs.forEach((name, i) => gradients[i].set(out[name].data as Float32Array, start * pointSize));
      start += n;
    }
    return { scores, gradients };
  }

  /**
   * Scores of `count` hidden states ([count, seq, hidden]) injected at layer k: forward only, through the
   * generic layer session (the last layer for [CLS] only) and the head.
   */
  async scores(
    layer: number,
    states: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const seq = this.injectedLength(layer, states, count, 'states');
    const L = this.numLayers;
    const h = this.config.hiddenSize;
    const scores = new Float32Array(count);
    const stateSize = seq * h;
    for (let start = 0; start < count; start += this.batchSize) {
      signal?.throwIfAborted();
      const n = Math.min(this.batchSize, count - start);
      let x: Float32Array = states.slice(start * stateSize, (start + n) * stateSize);
      for (let j = layer; j < L; j++) x = await this.runLayer(j, x, n, seq, j === L - 1);
      const top = await this.head.run(
        { [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [n, x.length / (n * h), h]) },
        [ATTRIBUTION_IO.score],
      );
      scores.set(top[ATTRIBUTION_IO.score].data as Float32Array, start);
    }
    return scores;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of [this.embeddings, this.layer, this.lastLayer, this.head, ...this.chains])
      await s.release();
  }

  /**
   * Points per gradient run: batchSize, fewer where the forward values one point holds through `depth`
   * layers for the backward would pass the budget. A function of the shapes only, so a pair is always
   * batched the same way (the analyses' sharded and single runs must give the same bits).
   */
  private pointsPerRun(seq: number, depth: number): number {
    const elements = this.residualShapes.reduce(
      (sum, shape) =>
        sum + shape.reduce<number>((p, d) => p * (d === 'seq' ? seq : typeof d === 'number' ? d : 1), 1),
      0,
    );
    const perPoint = 4 * elements * Math.max(1, depth);
    return Math.max(1, Math.min(this.batchSize, Math.floor(this.residualBudget / perPoint)));
  }

  private async runLayer(
    j: number,
    x: Float32Array,
    batch: number,
    seq: number,
    /** The [CLS]-only graph: for the last layer on the way to a score. */
    clsOnly = false,
  ): Promise<Float32Array> {
    const out = await (clsOnly ? this.lastLayer : this.layer).run({
      ...this.layerWeights[j],
      [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [batch, seq, this.config.hiddenSize]),
    });
    return out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
  }

  /** Checks a layer and `count` injected [seq, hidden] states before a run; returns seq. */
  private injectedLength(layer: number, values: Float32Array, count: number, what: string): number {
    this.checkOpen();
    const L = this.numLayers;
    if (!Number.isInteger(layer) || layer < 0 || layer > L)
      throw new Error(`layer ${layer} is outside 0-${L} (0 = embedding output, ${L} = after the last layer)`);
    const h = this.config.hiddenSize;
    const seq = values.length / (count * h);
    if (!Number.isInteger(seq) || seq < 1)
      throw new Error(`${values.length} values are not ${count} ${what} of [seq, ${h}]`);
    return seq;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('this BertGradientModel has been disposed');
  }
}

/** Lets the event loop run whatever is waiting (a worker's incoming messages) before going on. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Bytes of one layer's weights. */
function layerBytes(arrays: Record<string, { readonly data: Float32Array }>): number {
  return Object.values(arrays).reduce((sum, a) => sum + a.data.byteLength, 0);
}
