import { mulberry32, shuffleWith } from '../../random';
import { ProbeBatch } from './probeBatch';

/**
 * Zhan et al.'s probing classifier (probing/modeling.py), in plain TypeScript: for every token of a group,
 * dropout -> Linear(h, h) -> tanh -> dropout -> Linear(h, 2); the two logits are then max-pooled over the
 * group's tokens (each class separately) and trained with softmax cross-entropy. Training follows their
 * runprob.py: batches of 32, AdamW (lr 1e-4, weight decay 1e-5 on weights only, eps 1e-8), gradient
 * norm clipped to 1, learning rate decaying linearly to 0, 5 epochs, dropout 0.1, weights N(0, 0.02).
 *
 * Gradients are exact: the max-pool routes each class's gradient to its arg-max token only, so the
 * backward pass touches at most two tokens per example.
 */

/** Examples of one (layer, token group): each a bag of token vectors and a 0/1 label. */
export interface ProbeData {
  readonly hidden: number;
  /** Example e owns tokens offsets[e] .. offsets[e + 1] - 1; length = examples + 1. */
  readonly offsets: Int32Array;
  /** [total tokens, hidden], row-major. */
  readonly values: Float32Array;
  readonly labels: Uint8Array;
}

export interface ProbeTrainingOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly weightDecay?: number;
  readonly dropout?: number;
  readonly maxGradNorm?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
}

export const PROBE_DEFAULTS: Required<Omit<ProbeTrainingOptions, 'signal'>> = {
  epochs: 5,
  batchSize: 32,
  learningRate: 1e-4,
  weightDecay: 1e-5,
  dropout: 0.1,
  maxGradNorm: 1,
  seed: 42,
};

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** The probe's parameters; gradients share the layout. */
export interface ProbeParameters {
  /** Linear(h, h): [out, in] row-major, as PyTorch stores it. */
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  /** Linear(h, 2): [2, h]. */
  readonly w2: Float64Array;
  readonly b2: Float64Array;
}

function zeros(hidden: number): ProbeParameters {
  return {
    w1: new Float64Array(hidden * hidden),
    b1: new Float64Array(hidden),
    w2: new Float64Array(2 * hidden),
    b2: new Float64Array(2),
  };
}

const PARAMETER_NAMES = ['w1', 'b1', 'w2', 'b2'] as const;

/** Standard normal from a uniform generator (Box-Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export class MlpProbe {
  readonly parameters: ProbeParameters;
  // Scratch buffers reused across tokens (one probe is never used concurrently).
  private readonly input: Float64Array;
  private readonly activation: Float64Array;
  private readonly dropped: Float64Array;

  constructor(
    readonly hidden: number,
    seed = PROBE_DEFAULTS.seed,
  ) {
    this.parameters = zeros(hidden);
    const random = mulberry32(seed);
    for (const w of [this.parameters.w1, this.parameters.w2]) {
      for (let i = 0; i < w.length; i++) w[i] = 0.02 * gaussian(random);
    }
    this.input = new Float64Array(hidden);
    this.activation = new Float64Array(hidden);
    this.dropped = new Float64Array(hidden);
  }

  /**
   * Per-class max-pooled logits of example e. With `dropout`, draws masks from `random` and records, for
   * each class, the arg-max token's input, activation and masks in `trace` (for the backward pass).
   */
  private pooledLogits(
    data: ProbeData,
    e: number,
    dropout: number,
    random: (() => number) | undefined,
    trace?: TokenTrace[],
  ): [number, number] {
    const h = this.hidden;
    const { w1, b1, w2, b2 } = this.parameters;
    const best: [number, number] = [-Infinity, -Infinity];
    const keep = 1 - dropout;
    for (let t = data.offsets[e]; t < data.offsets[e + 1]; t++) {
      const base = t * h;
      const inputMask = random ? dropoutMask(h, dropout, random) : undefined;
      for (let i = 0; i < h; i++) {
        this.input[i] = inputMask ? (data.values[base + i] * inputMask[i]) / keep : data.values[base + i];
      }
      for (let j = 0; j < h; j++) {
        let z = b1[j];
        const row = j * h;
        for (let i = 0; i < h; i++) z += w1[row + i] * this.input[i];
        this.activation[j] = Math.tanh(z);
      }
      const activationMask = random ? dropoutMask(h, dropout, random) : undefined;
      for (let j = 0; j < h; j++) {
        this.dropped[j] = activationMask
          ? (this.activation[j] * activationMask[j]) / keep
          : this.activation[j];
      }
      for (let c = 0; c < 2; c++) {
        let l = b2[c];
        for (let j = 0; j < h; j++) l += w2[c * h + j] * this.dropped[j];
        if (l > best[c]) {
          best[c] = l;
          if (trace) {
            trace[c] = {
              input: Float64Array.from(this.input),
              activation: Float64Array.from(this.activation),
              activationMask,
              keep,
            };
          }
        }
      }
    }
    return best;
  }

  /** P(relevant) of every example of `data` (batched; equal to `score` of each). */
  scoreAll(data: ProbeData): Float64Array {
    return new ProbeBatch(this.hidden).scores(this.parameters, data);
  }

  /** P(relevant) = softmax(pooled logits)[1], without dropout; -Infinity for an example with no tokens. */
  score(data: ProbeData, e: number): number {
    if (data.offsets[e + 1] === data.offsets[e]) return -Infinity;
    const [l0, l1] = this.pooledLogits(data, e, 0, undefined);
    return 1 / (1 + Math.exp(l0 - l1));
  }

  /**
   * Mean cross-entropy over `examples` and its gradient (added into `gradients`). Examples without
   * tokens are skipped by the caller. With dropout > 0, masks come from `random`.
   */
  lossAndGradients(
    data: ProbeData,
    examples: readonly number[],
    gradients: ProbeParameters,
    dropout = 0,
    random?: () => number,
  ): number {
    const h = this.hidden;
    const { w2 } = this.parameters;
    let loss = 0;
    const scale = 1 / examples.length;
    const delta = new Float64Array(h);
    for (const e of examples) {
      const trace: TokenTrace[] = [];
      const logits = this.pooledLogits(data, e, dropout, dropout > 0 ? random : undefined, trace);
      const label = data.labels[e];
      const top = Math.max(logits[0], logits[1]);
      const normalizer = top + Math.log(Math.exp(logits[0] - top) + Math.exp(logits[1] - top));
      loss -= (logits[label] - normalizer) * scale;
      for (let c = 0; c < 2; c++) {
        const dLogit = (Math.exp(logits[c] - normalizer) - (c === label ? 1 : 0)) * scale;
        const { input, activation, activationMask, keep } = trace[c];
        gradients.b2[c] += dLogit;
        for (let j = 0; j < h; j++) {
          const droppedActivation = activationMask
            ? (activation[j] * activationMask[j]) / keep
            : activation[j];
          gradients.w2[c * h + j] += dLogit * droppedActivation;
          const dDropped = dLogit * w2[c * h + j];
          const dActivation = activationMask ? (dDropped * activationMask[j]) / keep : dDropped;
          delta[j] = dActivation * (1 - activation[j] * activation[j]);
        }
        for (let j = 0; j < h; j++) {
          const d = delta[j];
          if (d === 0) continue;
          gradients.b1[j] += d;
          const row = j * h;
          for (let i = 0; i < h; i++) gradients.w1[row + i] += d * input[i];
        }
      }
    }
    return loss;
  }
}

interface TokenTrace {
  readonly input: Float64Array;
  readonly activation: Float64Array;
  readonly activationMask: Uint8Array | undefined;
  readonly keep: number;
}

function dropoutMask(size: number, rate: number, random: () => number): Uint8Array | undefined {
  if (rate <= 0) return undefined;
  const mask = new Uint8Array(size);
  for (let i = 0; i < size; i++) mask[i] = random() >= rate ? 1 : 0;
  return mask;
}

export function newGradients(hidden: number): ProbeParameters {
  return zeros(hidden);
}

/** Trains a probe on the examples that have at least one token; returns it with the mean loss per epoch. */
export function trainProbe(
  data: ProbeData,
  options: ProbeTrainingOptions = {},
): { readonly probe: MlpProbe; readonly epochLosses: number[] } {
  const batch = new ProbeBatch(data.hidden);
  return train(data, options, (probe, examples, gradients, dropout, random) =>
    batch.lossAndGradients(probe.parameters, data, examples, gradients, dropout, random),
  );
}

/**
 * trainProbe computed one token at a time by MlpProbe (the reference the batched pass is tested against:
 * same draws, same updates, sums in another order).
 */
export function trainProbeTokenByToken(
  data: ProbeData,
  options: ProbeTrainingOptions = {},
): { readonly probe: MlpProbe; readonly epochLosses: number[] } {
  return train(data, options, (probe, examples, gradients, dropout, random) =>
    probe.lossAndGradients(data, examples, gradients, dropout, random),
  );
}

type LossAndGradients = (
  probe: MlpProbe,
  examples: readonly number[],
  gradients: ProbeParameters,
  dropout: number,
  random: () => number,
) => number;

function train(
  data: ProbeData,
  options: ProbeTrainingOptions,
  lossAndGradients: LossAndGradients,
): { readonly probe: MlpProbe; readonly epochLosses: number[] } {
  const o = { ...PROBE_DEFAULTS, ...options };
  const h = data.hidden;
  const probe = new MlpProbe(h, o.seed);
  const random = mulberry32(o.seed + 1);
  const usable: number[] = [];
  for (let e = 0; e + 1 < data.offsets.length; e++) if (data.offsets[e + 1] > data.offsets[e]) usable.push(e);
  const stepsPerEpoch = Math.ceil(usable.length / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const moment1 = zeros(h);
  const moment2 = zeros(h);
  const gradients = zeros(h);
  const epochLosses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = shuffleWith(usable, random);
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      o.signal?.throwIfAborted();
      const batch = order.slice(start, start + o.batchSize);
      for (const name of PARAMETER_NAMES) gradients[name].fill(0);
      epochLoss += lossAndGradients(probe, batch, gradients, o.dropout, random) * batch.length;
      clipGradientNorm(gradients, o.maxGradNorm);
      const learningRate = (o.learningRate * (totalSteps - step)) / totalSteps;
      step++;
      adamWStep(probe.parameters, gradients, moment1, moment2, step, learningRate, o.weightDecay);
    }
    epochLosses.push(epochLoss / Math.max(1, order.length));
  }
  return { probe, epochLosses };
}

function clipGradientNorm(gradients: ProbeParameters, maxNorm: number): void {
  let squares = 0;
  for (const name of PARAMETER_NAMES) {
    const g = gradients[name];
    for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
  }
  const norm = Math.sqrt(squares);
  if (norm <= maxNorm) return;
  const factor = maxNorm / (norm + 1e-6);
  for (const name of PARAMETER_NAMES) {
    const g = gradients[name];
    for (let i = 0; i < g.length; i++) g[i] *= factor;
  }
}

/** Hugging Face AdamW: bias-corrected Adam, then decoupled weight decay on the weight matrices only. */
function adamWStep(
  parameters: ProbeParameters,
  gradients: ProbeParameters,
  moment1: ProbeParameters,
  moment2: ProbeParameters,
  step: number,
  learningRate: number,
  weightDecay: number,
): void {
  const stepSize = (learningRate * Math.sqrt(1 - ADAM_BETA2 ** step)) / (1 - ADAM_BETA1 ** step);
  for (const name of PARAMETER_NAMES) {
    const decay = name === 'w1' || name === 'w2' ? learningRate * weightDecay : 0;
    adamW(parameters[name], gradients[name], moment1[name], moment2[name], stepSize, decay);
  }
}

function adamW(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  stepSize: number,
  decay: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * gi;
    const vi = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let pi = p[i] - (stepSize * mi) / (Math.sqrt(vi) + ADAM_EPSILON);
    if (decay) pi -= decay * pi;
    p[i] = pi;
  }
}
