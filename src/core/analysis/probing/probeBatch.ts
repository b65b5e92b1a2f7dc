import type { ProbeData, ProbeParameters } from './probe';

/**
 * The MLP probe's forward and backward pass over a whole batch at once: the same model, loss, gradients and
 * dropout draws (in the same order) as MlpProbe.lossAndGradients, computed as matrix products over the
 * batch's tokens instead of one token at a time, so each weight row is read once per four tokens and a token
 * picked by both classes' max-pool adds its outer product to the Linear(h, h) gradient once.
 * MlpProbe stays the per-token reference this is tested against.
 */
export class ProbeBatch {
  /** Per token of the batch: the (dropped-out) input, tanh activation, dropped activation; [tokens, h]. */
  private inputs = new Float64Array(0);
  private activations = new Float64Array(0);
  private dropped = new Float64Array(0);
  /** Per token: the two logits. */
  private logits = new Float64Array(0);
  /** Per token: 1 / keep where the activation unit is kept, else 0 (all 1 without dropout). */
  private activationScale = new Float64Array(0);
  /** Per token: the gradient reaching the Linear(h, h) pre-activation (zero for tokens no class picked). */
  private deltas = new Float64Array(0);
  private picked = new Uint8Array(0);

  constructor(readonly hidden: number) {}

  private reserve(tokens: number): void {
    const h = this.hidden;
    if (this.logits.length >= 2 * tokens) return;
    const size = Math.max(tokens, this.logits.length);
    this.inputs = new Float64Array(size * h);
    this.activations = new Float64Array(size * h);
    this.dropped = new Float64Array(size * h);
    this.activationScale = new Float64Array(size * h);
    this.deltas = new Float64Array(size * h);
    this.logits = new Float64Array(size * 2);
    this.picked = new Uint8Array(size);
  }

  /**
   * Forward pass over the tokens of `examples` (in order): fills inputs, activations, dropped activations
   * and logits; returns the first token index of each example (and the total at the end).
   */
  private forward(
    parameters: ProbeParameters,
    data: ProbeData,
    examples: readonly number[],
    dropout: number,
    random: (() => number) | undefined,
  ): Int32Array {
    const h = this.hidden;
    const starts = new Int32Array(examples.length + 1);
    for (let k = 0; k < examples.length; k++) {
      const e = examples[k];
      starts[k + 1] = starts[k] + data.offsets[e + 1] - data.offsets[e];
    }
    const tokens = starts[examples.length];
    this.reserve(tokens);
    const { inputs, activationScale } = this;
    const keep = 1 - dropout;
    const drawing = random !== undefined && dropout > 0;
    // Masks are drawn token by token, input units then activation units, as the per-token probe draws them.
    let t = 0;
    for (const e of examples) {
      for (let source = data.offsets[e]; source < data.offsets[e + 1]; source++, t++) {
        const from = source * h;
        const to = t * h;
        if (drawing) {
          for (let i = 0; i < h; i++) {
            const kept = random() >= dropout ? 1 : 0;
            inputs[to + i] = (data.values[from + i] * kept) / keep;
          }
          for (let j = 0; j < h; j++) activationScale[to + j] = random() >= dropout ? 1 / keep : 0;
        } else {
          for (let i = 0; i < h; i++) inputs[to + i] = data.values[from + i];
          activationScale.fill(1, to, to + h);
        }
      }
    }
    this.hiddenLayer(parameters, tokens);
    const { activations, dropped, logits } = this;
    const { w2, b2 } = parameters;
    for (let t = 0; t < tokens; t++) {
      const base = t * h;
      let l0 = b2[0];
      let l1 = b2[1];
      for (let j = 0; j < h; j++) {
        const d = activations[base + j] * activationScale[base + j];
        dropped[base + j] = d;
        l0 += w2[j] * d;
        l1 += w2[h + j] * d;
      }
      logits[2 * t] = l0;
      logits[2 * t + 1] = l1;
    }
    return starts;
  }

  /** activations = tanh(inputs W1^T + b1): two weight rows by four tokens per pass (eight sums in registers). */
  private hiddenLayer(parameters: ProbeParameters, tokens: number): void {
    const h = this.hidden;
    const { w1, b1 } = parameters;
    const { inputs: x, activations: a } = this;
    let j = 0;
    for (; j + 2 <= h; j += 2) {
      const r0 = j * h;
      const r1 = r0 + h;
      let t = 0;
      for (; t + 4 <= tokens; t += 4) {
        const x0 = t * h;
        const x1 = x0 + h;
        const x2 = x1 + h;
        const x3 = x2 + h;
        let s00 = b1[j];
        let s01 = s00;
        let s02 = s00;
        let s03 = s00;
        let s10 = b1[j + 1];
        let s11 = s10;
        let s12 = s10;
        let s13 = s10;
        for (let i = 0; i < h; i++) {
          const u = w1[r0 + i];
          const w = w1[r1 + i];
          const v0 = x[x0 + i];
          const v1 = x[x1 + i];
          const v2 = x[x2 + i];
          const v3 = x[x3 + i];
          s00 += u * v0;
          s01 += u * v1;
          s02 += u * v2;
          s03 += u * v3;
          s10 += w * v0;
          s11 += w * v1;
          s12 += w * v2;
          s13 += w * v3;
        }
        a[x0 + j] = Math.tanh(s00);
        a[x1 + j] = Math.tanh(s01);
        a[x2 + j] = Math.tanh(s02);
        a[x3 + j] = Math.tanh(s03);
        a[x0 + j + 1] = Math.tanh(s10);
        a[x1 + j + 1] = Math.tanh(s11);
        a[x2 + j + 1] = Math.tanh(s12);
        a[x3 + j + 1] = Math.tanh(s13);
      }
      for (; t < tokens; t++) {
        const x0 = t * h;
        let s0 = b1[j];
        let s1 = b1[j + 1];
        for (let i = 0; i < h; i++) {
          const v = x[x0 + i];
          s0 += w1[r0 + i] * v;
          s1 += w1[r1 + i] * v;
        }
        a[x0 + j] = Math.tanh(s0);
        a[x0 + j + 1] = Math.tanh(s1);
      }
    }
    for (; j < h; j++) {
      const row = j * h;
      for (let t = 0; t < tokens; t++) {
        const x0 = t * h;
        let s = b1[j];
        for (let i = 0; i < h; i++) s += w1[row + i] * x[x0 + i];
        a[x0 + j] = Math.tanh(s);
      }
    }
  }

  /**
   * Mean cross-entropy over `examples` (each with at least one token) and its gradient, added into
   * `gradients`; with dropout > 0, masks come from `random`.
   */
  lossAndGradients(
    parameters: ProbeParameters,
    data: ProbeData,
    examples: readonly number[],
    gradients: ProbeParameters,
    dropout = 0,
    random?: () => number,
  ): number {
    const h = this.hidden;
    const starts = this.forward(parameters, data, examples, dropout, random);
    const tokens = starts[examples.length];
    const { logits, dropped, activations, activationScale, deltas, picked } = this;
    const { w2 } = parameters;
    picked.fill(0, 0, tokens);
    const scale = 1 / examples.length;
    let loss = 0;
    for (let k = 0; k < examples.length; k++) {
      if (starts[k + 1] === starts[k])
        throw new Error(`probe example ${examples[k]} has no tokens (such examples are skipped)`);
      // Per class, the first token with the largest logit (the max-pool's arg-max).
      const best = [starts[k], starts[k]];
      for (let t = starts[k] + 1; t < starts[k + 1]; t++) {
        for (let c = 0; c < 2; c++) if (logits[2 * t + c] > logits[2 * best[c] + c]) best[c] = t;
      }
      const pooled = [logits[2 * best[0]], logits[2 * best[1] + 1]];
      const label = data.labels[examples[k]];
      const top = Math.max(pooled[0], pooled[1]);
      const normalizer = top + Math.log(Math.exp(pooled[0] - top) + Math.exp(pooled[1] - top));
      loss -= (pooled[label] - normalizer) * scale;
      for (let c = 0; c < 2; c++) {
        const dLogit = (Math.exp(pooled[c] - normalizer) - (c === label ? 1 : 0)) * scale;
        const t = best[c];
        const base = t * h;
        gradients.b2[c] += dLogit;
        if (!picked[t]) deltas.fill(0, base, base + h);
        picked[t] = 1;
        for (let j = 0; j < h; j++) {
          gradients.w2[c * h + j] += dLogit * dropped[base + j];
          const a = activations[base + j];
          deltas[base + j] += dLogit * w2[c * h + j] * activationScale[base + j] * (1 - a * a);
        }
      }
    }
    const rows: number[] = [];
    for (let t = 0; t < tokens; t++) if (picked[t]) rows.push(t);
    this.addOuterProducts(gradients, rows);
    return loss;
  }

  /**
   * W1 gradient += sum over the picked tokens of delta (x) input, and b1 += delta: two gradient rows by four
   * tokens per pass.
   */
  private addOuterProducts(gradients: ProbeParameters, rows: readonly number[]): void {
    const h = this.hidden;
    const { inputs: x, deltas: d } = this;
    const { w1: g, b1 } = gradients;
    for (const t of rows) for (let j = 0; j < h; j++) b1[j] += d[t * h + j];
    let j = 0;
    for (; j + 2 <= h; j += 2) {
      const r0 = j * h;
      const r1 = r0 + h;
      let r = 0;
      for (; r + 4 <= rows.length; r += 4) {
        const x0 = rows[r] * h;
        const x1 = rows[r + 1] * h;
        const x2 = rows[r + 2] * h;
        const x3 = rows[r + 3] * h;
        const d00 = d[x0 + j];
        const d01 = d[x1 + j];
        const d02 = d[x2 + j];
        const d03 = d[x3 + j];
        const d10 = d[x0 + j + 1];
        const d11 = d[x1 + j + 1];
        const d12 = d[x2 + j + 1];
        const d13 = d[x3 + j + 1];
        for (let i = 0; i < h; i++) {
          const v0 = x[x0 + i];
          const v1 = x[x1 + i];
          const v2 = x[x2 + i];
          const v3 = x[x3 + i];
          g[r0 + i] += d00 * v0 + d01 * v1 + d02 * v2 + d03 * v3;
          g[r1 + i] += d10 * v0 + d11 * v1 + d12 * v2 + d13 * v3;
        }
      }
      for (; r < rows.length; r++) {
        const x0 = rows[r] * h;
        const d0 = d[x0 + j];
        const d1 = d[x0 + j + 1];
        for (let i = 0; i < h; i++) {
          const v = x[x0 + i];
          g[r0 + i] += d0 * v;
          g[r1 + i] += d1 * v;
        }
      }
    }
    for (; j < h; j++) {
      const row = j * h;
      for (const t of rows) {
        const d0 = d[t * h + j];
        for (let i = 0; i < h; i++) g[row + i] += d0 * x[t * h + i];
      }
    }
  }

  /** P(relevant) of every example without dropout; -Infinity for an example without tokens. */
  scores(parameters: ProbeParameters, data: ProbeData, chunk = 64): Float64Array {
    const examples = data.labels.length;
    const out = new Float64Array(examples);
    for (let start = 0; start < examples; start += chunk) {
      const batch: number[] = [];
      for (let e = start; e < Math.min(examples, start + chunk); e++) batch.push(e);
      const starts = this.forward(parameters, data, batch, 0, undefined);
      const { logits } = this;
      batch.forEach((e, k) => {
        if (starts[k + 1] === starts[k]) {
          out[e] = -Infinity;
          return;
        }
        let l0 = -Infinity;
        let l1 = -Infinity;
        for (let t = starts[k]; t < starts[k + 1]; t++) {
          l0 = Math.max(l0, logits[2 * t]);
          l1 = Math.max(l1, logits[2 * t + 1]);
        }
        out[e] = 1 / (1 + Math.exp(l0 - l1));
      });
    }
    return out;
  }
}
