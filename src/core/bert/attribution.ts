import * as ort from 'onnxruntime-node';
import { createSessionOn } from '../device';
import { cpuSessionOptions, type CpuSessionSettings } from '../runtime/sessionOptions';
import { openBertCheckpoint, type BertCheckpoint } from '../model/checkpoint';
import type { Dim } from '../graph/onnx';
import { splitAtSeed } from '../graph/split';
import type { BertConfig } from '../model/config';
import {
  ATTRIBUTION_IO,
  LAYER_WEIGHT_NAMES,
  buildEmbeddingGraph,
  buildHeadGraph,
  buildLayerGraph,
  readLayerWeights,
} from './attributionGraph';

export interface GradientModelOptions extends CpuSessionSettings {
  /** Interpolation points per onnxruntime run (default 16): bounds activation memory. */
  readonly batchSize?: number;
  /**
   * Most bytes of stored forward values (residuals) one gradient run may hold for its backward pass
   * (default 256 MiB); runs take fewer points than batchSize where a point's residuals would exceed it.
   */
  readonly residualBudgetBytes?: number;
}

/** Scores and d score / d hidden state at the injection layer, for `count` points of one pair. */
export interface ScoresAndGradients {
  readonly scores: Float32Array;
  /** [count, seq, hidden] row-major. */
  readonly gradients: Float32Array;
}

const DEFAULT_BATCH_SIZE = 16;
const DEFAULT_RESIDUAL_BUDGET = 256 * 2 ** 20;
const PRODUCER = 'ranklens-attribution';

/** The three sessions of one layer graph: score-only forward, forward storing residuals, backward. */
interface LayerSessions {
  readonly forward: ort.InferenceSession;
  /** The layer's forward, also returning the values its backward reads (graph/split.ts). */
  readonly saving: ort.InferenceSession;
  /** The layer's VJP from those stored values: no forward recomputed. */
  readonly backward: ort.InferenceSession;
  readonly backwardInputs: ReadonlySet<string>;
  /** Shapes of the residuals that grow with the batch ('batch' and 'seq' symbolic). */
  readonly residualShapes: readonly (readonly Dim[])[];
  /** Every output of `saving` (hidden_out first), to hand onnxruntime buffers to write them into. */
  readonly savingOutputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly Dim[];
  }[];
}

/**
 * A BERT cross-encoder that can be entered at any layer: hidden state injected at layer k (0 = embedding
 * output, k = L = after the last layer), score out, and the exact gradient of the score with respect to the
 * injected state (reverse-mode autodiff, src/core/graph/autodiff.ts). See attributionGraph.ts for the
 * session layout. On the way to a score the last layer runs as its [CLS]-only graph: the head reads [CLS]
 * alone, so the last layer's other outputs would be computed for nothing.
 */
export class BertGradientModel {
  private disposed = false;
  /**
   * Output buffers of the storing forward, by (graph, chain position, output), reused from run to run:
   * fresh ones cost onnxruntime an allocation and the kernel its page faults, ~30% of that forward.
   */
  private readonly outputBuffers = new Map<string, Float32Array>();
  private outputBuffersSeq = 0;
  /** Gradient runs one at a time: they share the output buffers. */
  private gradientQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: BertConfig,
    private readonly embeddings: ort.InferenceSession,
    /** Every position's output: hidden states, and layers below the last. */
    private readonly full: LayerSessions,
    /** The last layer on the way to a score: [CLS]'s output only. */
    private readonly last: LayerSessions,
    private readonly head: ort.InferenceSession,
    private readonly layerWeights: readonly Record<string, ort.Tensor>[],
    /** Points per onnxruntime run. */
    readonly batchSize: number,
    private readonly residualBudget: number,
  ) {}

  static async load(
    checkpoint: string | BertCheckpoint,
    options: GradientModelOptions = {},
  ): Promise<BertGradientModel> {
    const opened = typeof checkpoint === 'string' ? openBertCheckpoint(checkpoint) : checkpoint;
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size ${batchSize} must be a positive integer`);
    const sessionOptions = cpuSessionOptions(options);
    const create = (bytes: Uint8Array) =>
      createSessionOn(options.device ?? 'cpu', () => ort.InferenceSession.create(bytes, sessionOptions));
    const residualBudget = options.residualBudgetBytes ?? DEFAULT_RESIDUAL_BUDGET;
    if (!(residualBudget > 0)) throw new Error(`residual budget ${residualBudget} must be positive`);
    const { config } = opened;
    const layerSessions = async (clsOnly: boolean): Promise<LayerSessions> => {
      const vjp = splitAtSeed(buildLayerGraph(config, { gradient: true, clsOnly }), ATTRIBUTION_IO.gradOut);
      const [forward, saving, backward] = await Promise.all([
        create(buildLayerGraph(config, { clsOnly }).encode(PRODUCER).toBytes()),
        create(vjp.forward.encode(PRODUCER).toBytes()),
        create(vjp.backward.encode(PRODUCER).toBytes()),
      ]);
      return {
        forward,
        saving,
        backward,
        backwardInputs: new Set(backward.inputNames),
        residualShapes: vjp.forward.outputs
          .filter((o) => o.name !== ATTRIBUTION_IO.hiddenOut && o.shape.includes('batch'))
          .map((o) => o.shape),
        savingOutputs: vjp.forward.outputs,
      };
    };
    const [embeddings, full, last, head] = await Promise.all([
      create(buildEmbeddingGraph(opened).encode(PRODUCER).toBytes()),
      layerSessions(false),
      layerSessions(true),
      create(buildHeadGraph(opened).encode(PRODUCER).toBytes()),
    ]);
    const layerWeights = opened.weights.layers.map((w) => {
      const arrays = readLayerWeights(w);
      return Object.fromEntries(
        LAYER_WEIGHT_NAMES.map((name) => [
          name,
          new ort.Tensor('float32', arrays[name].data, arrays[name].dims.slice()),
        ]),
      );
    });
    return new BertGradientModel(
      config,
      embeddings,
      full,
      last,
      head,
      layerWeights,
      batchSize,
      residualBudget,
    );
  }

  get numLayers(): number {
    return this.config.numLayers;
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
    const mask = allOnes(batch, seq);
    for (let j = 0; j < this.numLayers; j++) states.push(await this.runLayer(j, states[j], batch, seq, mask));
    return states;
  }

  /**
   * Injects `count` hidden states ([count, seq, hidden]) at layer k and returns each point's score and
   * d score / d injected state. Points are run `batchSize` at a time.
   */
  async scoresAndGradients(
    layer: number,
    points: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<ScoresAndGradients> {
    const run = this.gradientQueue.then(() => this.runScoresAndGradients(layer, points, count, signal));
    this.gradientQueue = run.catch(() => undefined);
    return run;
  }

  private async runScoresAndGradients(
    layer: number,
    points: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<ScoresAndGradients> {
    this.checkOpen();
    const L = this.numLayers;
    if (!Number.isInteger(layer) || layer < 0 || layer > L)
      throw new Error(`layer ${layer} is outside 0-${L} (0 = embedding output, ${L} = after the last layer)`);
    const h = this.config.hiddenSize;
    const seq = points.length / (count * h);
    if (!Number.isInteger(seq) || seq < 1)
      throw new Error(`${points.length} values are not ${count} points of [seq, ${h}]`);
    const scores = new Float32Array(count);
    const gradients = new Float32Array(points.length);
    const pointSize = seq * h;
    const sessionsOf = (j: number) => (j === L - 1 ? this.last : this.full);
    for (let start = 0; start < count;) {
      signal?.throwIfAborted();
      const n = Math.min(this.pointsPerRun(seq, L - layer), count - start);
      const mask = allOnes(n, seq);
      const input = points.subarray(start * pointSize, (start + n) * pointSize);
      // Forward from layer k, keeping what each layer's backward reads.
      const stored: ort.InferenceSession.OnnxValueMapType[] = [];
      let x: Float32Array = input.slice();
      let rows = seq;
      for (let j = layer; j < L; j++) {
        const out = await sessionsOf(j).saving.run(
          {
            ...this.layerWeights[j],
            [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [n, seq, h]),
            [ATTRIBUTION_IO.attentionMask]: mask,
          },
          this.reusedOutputs(sessionsOf(j), j - layer, n, seq),
        );
        stored.push(out);
        x = out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
        rows = x.length / (n * h);
      }
      const top = await this.head.run({
        [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [n, rows, h]),
      });
      scores.set(top[ATTRIBUTION_IO.score].data as Float32Array, start);
      let gradient = top[ATTRIBUTION_IO.gradIn].data as Float32Array;
      for (let j = L - 1; j >= layer; j--) {
        const sessions = sessionsOf(j);
        const layerInput =
          j === layer ? input : (stored[j - layer - 1][ATTRIBUTION_IO.hiddenOut].data as Float32Array);
        const feeds: Record<string, ort.Tensor> = {
          [ATTRIBUTION_IO.gradOut]: new ort.Tensor('float32', gradient, [n, gradient.length / (n * h), h]),
        };
        for (const [name, value] of Object.entries({ ...this.layerWeights[j], ...stored[j - layer] }))
          if (sessions.backwardInputs.has(name)) feeds[name] = value;
        if (sessions.backwardInputs.has(ATTRIBUTION_IO.hidden))
          feeds[ATTRIBUTION_IO.hidden] = new ort.Tensor('float32', layerInput, [n, seq, h]);
        if (sessions.backwardInputs.has(ATTRIBUTION_IO.attentionMask))
          feeds[ATTRIBUTION_IO.attentionMask] = mask;
        const out = await sessions.backward.run(feeds, [ATTRIBUTION_IO.gradIn]);
        stored.pop();
        gradient = out[ATTRIBUTION_IO.gradIn].data as Float32Array;
      }
      gradients.set(gradient, start * pointSize);
      start += n;
    }
    return { scores, gradients };
  }

  /**
   * Scores of `count` hidden states ([count, seq, hidden]) injected at layer k: the forward half of
   * scoresAndGradients, without the layer VJPs.
   */
  async scores(
    layer: number,
    states: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    this.checkOpen();
    const L = this.numLayers;
    if (!Number.isInteger(layer) || layer < 0 || layer > L)
      throw new Error(`layer ${layer} is outside 0-${L} (0 = embedding output, ${L} = after the last layer)`);
    const h = this.config.hiddenSize;
    const seq = states.length / (count * h);
    if (!Number.isInteger(seq) || seq < 1)
      throw new Error(`${states.length} values are not ${count} states of [seq, ${h}]`);
    const scores = new Float32Array(count);
    const stateSize = seq * h;
    for (let start = 0; start < count; start += this.batchSize) {
      signal?.throwIfAborted();
      const n = Math.min(this.batchSize, count - start);
      const mask = allOnes(n, seq);
      let x: Float32Array = states.slice(start * stateSize, (start + n) * stateSize);
      for (let j = layer; j < L; j++) x = await this.runLayer(j, x, n, seq, mask, j === L - 1);
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
    for (const { forward, saving, backward } of [this.full, this.last])
      for (const s of [forward, saving, backward]) await s.release();
    for (const s of [this.embeddings, this.head]) await s.release();
  }

  /** Drops the reused output buffers (attribute() calls this when it is done with a pair). */
  releaseBuffers(): void {
    this.outputBuffers.clear();
  }

  /**
   * Buffers for every output of a storing forward at one chain position; null (onnxruntime allocates) for
   * outputs whose size is only known when they are computed.
   */
  private reusedOutputs(
    sessions: LayerSessions,
    position: number,
    n: number,
    seq: number,
  ): Record<string, ort.Tensor | null> {
    if (seq !== this.outputBuffersSeq) {
      this.outputBuffers.clear();
      this.outputBuffersSeq = seq;
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const { name, dtype, shape } of sessions.savingOutputs) {
      const dims = shape.map((d) =>
        d === 'batch' ? n : d === 'seq' ? seq : typeof d === 'number' ? d : NaN,
      );
      const size = dims.reduce((a, b) => a * b, 1);
      if (dtype !== 'float32' || !Number.isFinite(size)) {
        fetches[name] = null;
        continue;
      }
      const key = `${sessions === this.last ? 'last' : 'full'} ${position} ${name}`;
      let buffer = this.outputBuffers.get(key);
      if (!buffer || buffer.length < size) this.outputBuffers.set(key, (buffer = new Float32Array(size)));
      fetches[name] = new ort.Tensor('float32', buffer.subarray(0, size), dims);
    }
    return fetches;
  }

  /**
   * Points per gradient run: batchSize, fewer where the residuals one point stores through `depth` layers
   * would pass the budget. A function of the shapes only, so a pair is always batched the same way (the
   * analyses' sharded and single runs must give the same bits).
   */
  private pointsPerRun(seq: number, depth: number): number {
    const elements = this.full.residualShapes.reduce(
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
    mask: ort.Tensor,
    /** The [CLS]-only graph: for the last layer on the way to a score. */
    clsOnly = false,
  ): Promise<Float32Array> {
    const out = await (clsOnly ? this.last : this.full).forward.run({
      ...this.layerWeights[j],
      [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', x, [batch, seq, this.config.hiddenSize]),
      [ATTRIBUTION_IO.attentionMask]: mask,
    });
    return out[ATTRIBUTION_IO.hiddenOut].data as Float32Array;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('this BertGradientModel has been disposed');
  }
}

function allOnes(batch: number, seq: number): ort.Tensor {
  return new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]);
}
