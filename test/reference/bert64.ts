// A deliberately plain float64 BertForSequenceClassification forward for one sequence, written from the
// HF modelling code's equations and independent of src/core (it reads tensors by their stored names).

export interface ReferenceConfig {
  readonly hidden: number;
  readonly heads: number;
  readonly layers: number;
  readonly layerNormEps: number;
  readonly numLabels: number;
}

/** Tensor lookup by HF name without the "bert." prefix (classifier.* as is). */
export type TensorLookup = (name: string) => ArrayLike<number>;

export interface ReferenceMasks {
  /** 1 = remove key j for query i before softmax in this layer (added times -10000). */
  readonly token?: (layer: number, i: number, j: number) => number;
  /** 1 = zero probability (i, j) after softmax in this layer, without renormalising. */
  readonly attention?: (layer: number, i: number, j: number) => number;
  /** 1 = zero this head's probabilities in this layer. */
  readonly head?: (layer: number, head: number) => number;
}

export interface ReferenceOutput {
  readonly logits: number[];
  readonly score: number;
  /** [layer][head][i][j] */
  readonly attentions: number[][][][];
  /** [layer + 1][position][unit] */
  readonly hidden: number[][][];
}

type Matrix = number[][];

function linear(x: Matrix, weight: ArrayLike<number>, bias: ArrayLike<number>, outSize: number): Matrix {
  const inSize = x[0].length;
  return x.map((row) => {
    const out: number[] = [];
    for (let o = 0; o < outSize; o++) {
      let s = bias[o];
      for (let k = 0; k < inSize; k++) s += weight[o * inSize + k] * row[k];
      out.push(s);
    }
    return out;
  });
}

function layerNorm(x: Matrix, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, k) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[k] + beta[k]);
  });
}

/** erf by Abramowitz-Stegun 7.1.26 is too coarse for 1e-6 checks; use a series / continued fraction. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let result: number;
  if (ax < 3) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction for erfc, evaluated backwards.
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
    result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -result : result;
}

const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));

export function bertForward64(
  config: ReferenceConfig,
  get: TensorLookup,
  inputIds: readonly number[],
  tokenTypeIds: readonly number[],
  paddingMask: readonly number[],
  masks: ReferenceMasks = {},
): ReferenceOutput {
  const n = inputIds.length;
  const h = config.hidden;
  const d = h / config.heads;
  const word = get('embeddings.word_embeddings.weight');
  const pos = get('embeddings.position_embeddings.weight');
  const typ = get('embeddings.token_type_embeddings.weight');
  let x: Matrix = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let k = 0; k < h; k++)
      row.push(word[inputIds[i] * h + k] + pos[i * h + k] + typ[tokenTypeIds[i] * h + k]);
    x.push(row);
  }
  x = layerNorm(x, get('embeddings.LayerNorm.weight'), get('embeddings.LayerNorm.bias'), config.layerNormEps);
  const hidden: Matrix[] = [x];
  const attentions: number[][][][] = [];
  for (let l = 0; l < config.layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = linear(x, get(`${p}.attention.self.query.weight`), get(`${p}.attention.self.query.bias`), h);
    const k = linear(x, get(`${p}.attention.self.key.weight`), get(`${p}.attention.self.key.bias`), h);
    const v = linear(x, get(`${p}.attention.self.value.weight`), get(`${p}.attention.self.value.bias`), h);
    const context: Matrix = Array.from({ length: n }, () => new Array<number>(h).fill(0));
    const layerProbs: number[][][] = [];
    for (let head = 0; head < config.heads; head++) {
      const probs: Matrix = [];
      for (let i = 0; i < n; i++) {
        const scores: number[] = [];
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += q[i][head * d + t] * k[j][head * d + t];
          s /= Math.sqrt(d);
          s += (1 - paddingMask[j]) * -10000;
          s += (masks.token?.(l, i, j) ?? 0) * -10000;
          scores.push(s);
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        const headKeep = 1 - (masks.head?.(l, head) ?? 0);
        probs.push(exps.map((e, j) => (e / total) * (1 - (masks.attention?.(l, i, j) ?? 0)) * headKeep));
      }
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < d; t++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += probs[i][j] * v[j][head * d + t];
          context[i][head * d + t] = s;
        }
      }
      layerProbs.push(probs);
    }
    attentions.push(layerProbs);
    const attnOut = linear(
      context,
      get(`${p}.attention.output.dense.weight`),
      get(`${p}.attention.output.dense.bias`),
      h,
    );
    const attended = layerNorm(
      attnOut.map((row, i) => row.map((val, t) => val + x[i][t])),
      get(`${p}.attention.output.LayerNorm.weight`),
      get(`${p}.attention.output.LayerNorm.bias`),
      config.layerNormEps,
    );
    const interBias = get(`${p}.intermediate.dense.bias`);
    const inter = linear(attended, get(`${p}.intermediate.dense.weight`), interBias, interBias.length).map(
      (row) => row.map(gelu),
    );
    const out = linear(inter, get(`${p}.output.dense.weight`), get(`${p}.output.dense.bias`), h);
    x = layerNorm(
      out.map((row, i) => row.map((val, t) => val + attended[i][t])),
      get(`${p}.output.LayerNorm.weight`),
      get(`${p}.output.LayerNorm.bias`),
      config.layerNormEps,
    );
    hidden.push(x);
  }
  const pooled = linear([x[0]], get('pooler.dense.weight'), get('pooler.dense.bias'), h)[0].map(Math.tanh);
  const logits = linear([pooled], get('classifier.weight'), get('classifier.bias'), config.numLabels)[0];
  const score = logits.length === 1 ? logits[0] : 1 / (1 + Math.exp(logits[0] - logits[1]));
  return { logits, score, attentions, hidden };
}
