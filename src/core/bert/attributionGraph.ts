import { grad } from '../graph/autodiff';
import { GraphBuilder, type Tensor } from '../graph/builder';
import type { BertConfig } from '../model/config';
import type { BertCheckpoint, BertLayerWeights, WeightRef } from '../model/checkpoint';

/**
 * The graphs behind gradients at any layer. Layer weights are graph INPUTS, so the weights exist once (in JS
 * memory) whatever the number of sessions (chains may bake them in instead, where copies are affordable):
 * one generic layer graph serves every layer's forward, and one chain graph per starting layer k (layers
 * k..L-1, the head and the backward of all of them in one run) gives scores and gradients, with every
 * forward value the backward needs kept inside onnxruntime's run.
 */
export const ATTRIBUTION_IO = {
  inputIds: 'input_ids',
  tokenTypeIds: 'token_type_ids',
  /** int64 [batch, seq], 1 = real token (HF padding mask). */
  attentionMask: 'attention_mask',
  /** float [batch, seq, hidden]: a layer's (or the head's) input. */
  hidden: 'hidden',
  /** float [batch, seq, hidden]: the layer's output. */
  hiddenOut: 'hidden_out',
  /** float [batch, seq, hidden]: d score / d hidden_out (cotangent fed to the layer VJP). */
  gradOut: 'grad_out',
  /** float [batch, seq, hidden]: d score / d hidden. */
  gradIn: 'grad_in',
  /** float [batch]: the ranking score (single logit, or P(relevant) for two labels). */
  score: 'score',
  /** Masked layer only: float [batch, seq, seq], 1 = key j removed for query i before softmax (token mask). */
  tokenPairs: 'exp_token_pairs',
  /** Masked layer only: float [batch, seq, seq], 1 = probability i -> j zeroed after softmax (attention mask). */
  attentionPairs: 'exp_attention_pairs',
  /** Head-masked layer only: float [batch, heads], 1 keeps the head, 0 zeroes its output (the head mask). */
  headKeep: 'exp_head_keep',
} as const;

/** Layer weight input names, in the order LayerWeightArrays lists them. */
export const LAYER_WEIGHT_NAMES = [
  'query.weight_t',
  'query.bias',
  'key.weight_t',
  'key.bias',
  'value.weight_t',
  'value.bias',
  'attention_output.weight_t',
  'attention_output.bias',
  'attention_norm.weight',
  'attention_norm.bias',
  'intermediate.weight_t',
  'intermediate.bias',
  'output.weight_t',
  'output.bias',
  'output_norm.weight',
  'output_norm.bias',
] as const;
export type LayerWeightName = (typeof LAYER_WEIGHT_NAMES)[number];

export interface LayerWeightArray {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** PyTorch Linear stores [out, in]; MatMul wants [in, out]. */
function transposed(ref: WeightRef): LayerWeightArray {
  const [rows, cols] = ref.shape;
  const source = ref.read();
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = source[r * cols + c];
  return { data, dims: [cols, rows] };
}

const plain = (ref: WeightRef): LayerWeightArray => ({ data: ref.read(), dims: ref.shape.slice() });

/** Reads (and transposes) one layer's weights for the generic layer graph. */
export function readLayerWeights(w: BertLayerWeights): Record<LayerWeightName, LayerWeightArray> {
  return {
    'query.weight_t': transposed(w.query.weight),
    'query.bias': plain(w.query.bias),
    'key.weight_t': transposed(w.key.weight),
    'key.bias': plain(w.key.bias),
    'value.weight_t': transposed(w.value.weight),
    'value.bias': plain(w.value.bias),
    'attention_output.weight_t': transposed(w.attentionOutput.weight),
    'attention_output.bias': plain(w.attentionOutput.bias),
    'attention_norm.weight': plain(w.attentionNorm.weight),
    'attention_norm.bias': plain(w.attentionNorm.bias),
    'intermediate.weight_t': transposed(w.intermediate.weight),
    'intermediate.bias': plain(w.intermediate.bias),
    'output.weight_t': transposed(w.output.weight),
    'output.bias': plain(w.output.bias),
    'output_norm.weight': plain(w.outputNorm.weight),
    'output_norm.bias': plain(w.outputNorm.bias),
  };
}

const HIDDEN_DIMS = (h: number) => ['batch', 'seq', h];

export interface LayerGraphOptions {
  /** Adds the VJP: input grad_out (d score / d hidden_out), output grad_in (d score / d hidden). */
  readonly gradient?: boolean;
  /** Adds per-pair [seq, seq] token and attention masks (the two kinds of buildBertGraph's experiment masks). */
  readonly masked?: boolean;
  /** Bakes these weights in as initializers (one graph per layer, weights prepacked by onnxruntime). */
  readonly fixed?: Record<LayerWeightName, LayerWeightArray>;
  /**
   * Without the padding mask input (default with): for batches of one unpadded length, as every point of one
   * pair's integrals is. Saves an add over every [heads, seq, seq] score tensor, and its backward.
   */
  readonly padded?: boolean;
  /**
   * Computes the output at position 0 ([CLS]) only: hidden_out is [batch, 1, hidden]. The last layer's
   * other positions never reach the score (the head reads [CLS]), so their queries, attention rows and
   * feed-forward are skipped; keys and values still come from every position.
   */
  readonly clsOnly?: boolean;
  /** Adds the per-pair head mask input (ATTRIBUTION_IO.headKeep), as buildBertGraph's head mask applies it. */
  readonly headMasked?: boolean;
  /**
   * With masked: also the layer without the masks, from the same input: hidden_out is [2 * batch, seq, hidden],
   * the masked output of every pair, then the unmasked one. Queries, keys and values are computed once.
   */
  readonly alsoUnmasked?: boolean;
  /**
   * Outputs the layer once per head with that head masked alone: hidden_out is [heads, batch, seq, hidden]
   * (variant k is head k zeroed, as headKeep = 0 for k gives it). Queries, keys, values and attention
   * probabilities do not depend on the head mask, so they are computed once for every variant.
   */
  readonly headVariants?: boolean;
}

/** The shape of each layer weight input. */
function layerWeightDims(config: BertConfig): Record<LayerWeightName, number[]> {
  const h = config.hiddenSize;
  const inter = config.intermediateSize;
  return {
    'query.weight_t': [h, h],
    'query.bias': [h],
    'key.weight_t': [h, h],
    'key.bias': [h],
    'value.weight_t': [h, h],
    'value.bias': [h],
    'attention_output.weight_t': [h, h],
    'attention_output.bias': [h],
    'attention_norm.weight': [h],
    'attention_norm.bias': [h],
    'intermediate.weight_t': [h, inter],
    'intermediate.bias': [inter],
    'output.weight_t': [inter, h],
    'output.bias': [h],
    'output_norm.weight': [h],
    'output_norm.bias': [h],
  };
}

/** One layer's weights as graph inputs named `${prefix}${name}` (or initializers, when given). */
function layerWeightTensors(
  g: GraphBuilder,
  config: BertConfig,
  prefix: string,
  fixed?: Record<LayerWeightName, LayerWeightArray>,
): Record<LayerWeightName, Tensor> {
  const dims = layerWeightDims(config);
  return Object.fromEntries(
    LAYER_WEIGHT_NAMES.map((name) => {
      const given = fixed?.[name];
      const bytes = given && new Uint8Array(given.data.buffer, given.data.byteOffset, given.data.byteLength);
      return [
        name,
        bytes
          ? g.initializer(`${prefix}${name}`, 'float32', dims[name], bytes)
          : g.input(`${prefix}${name}`, 'float32', dims[name]),
      ];
    }),
  ) as Record<LayerWeightName, Tensor>;
}

/**
 * Appends one HF BertLayer (post-LN, erf GELU as onnxruntime's fused Gelu), the same equations as
 * buildBertGraph's unmasked path, to g: x [batch, seq, hidden] -> [batch, seq, hidden] ([batch, 1, hidden]
 * with clsOnly).
 */
function appendLayer(
  g: GraphBuilder,
  config: BertConfig,
  x: Tensor,
  /** int64 [batch, seq] (1 = real token), or undefined where no position is padding. */
  paddingMask: Tensor | undefined,
  w: Record<LayerWeightName, Tensor>,
  {
    masked = false,
    clsOnly = false,
    headMasked = false,
    headVariants = false,
    alsoUnmasked = false,
  }: {
    readonly masked?: boolean;
    readonly clsOnly?: boolean;
    readonly headMasked?: boolean;
    readonly headVariants?: boolean;
    readonly alsoUnmasked?: boolean;
  },
): Tensor {
  const h = config.hiddenSize;
  const heads = config.numHeads;
  const headSize = h / heads;
  const linear = (
    t: Tensor,
    label: 'query' | 'key' | 'value' | 'attention_output' | 'intermediate' | 'output',
  ) => g.addT(g.matMul(t, w[`${label}.weight_t`]), w[`${label}.bias`]);
  const norm = (t: Tensor, label: 'attention_norm' | 'output_norm') =>
    g.layerNorm(t, w[`${label}.weight`], w[`${label}.bias`], config.layerNormEps);

  // Made where used: an initializer no node reads makes onnxruntime print a warning per session.
  const one = () => g.constFloat([1], [], 'one');
  const negative = () => g.constFloat([-10000], [], 'mask_negative');
  const paddingAdd =
    paddingMask && g.unsqueeze(g.mul(g.sub(one(), g.cast(paddingMask, 'float32')), negative()), [1, 2]);
  const splitHeads = (t: Tensor, perm: number[]) => g.transpose(g.reshape(t, [0, 0, heads, headSize]), perm);
  // The rows whose output is computed: all, or [CLS] alone.
  const rows = clsOnly ? g.slice(x, g.constInt64([0]), g.constInt64([1]), g.constInt64([1])) : x;
  const q = splitHeads(linear(rows, 'query'), [0, 2, 1, 3]);
  const kT = splitHeads(linear(x, 'key'), [0, 2, 3, 1]);
  const v = splitHeads(linear(x, 'value'), [0, 2, 1, 3]);
  const scaled = g.div(g.matMul(q, kT), g.constFloat([Math.sqrt(headSize)], [], 'sqrt_head_size'));
  const unmaskedProbs = () => g.softmax(paddingAdd ? g.addT(scaled, paddingAdd) : scaled, -1);
  let probs: Tensor;
  if (masked) {
    // [batch, 1 (heads), query rows, seq]: with clsOnly, the [CLS] query's row alone.
    const pairs = (name: string) => {
      const all = g.input(name, 'float32', ['batch', 'seq', 'seq']);
      const queried = clsOnly ? g.slice(all, g.constInt64([0]), g.constInt64([1]), g.constInt64([1])) : all;
      return g.unsqueeze(queried, [1]);
    };
    const removed = g.mul(pairs(ATTRIBUTION_IO.tokenPairs), negative());
    const additive = paddingAdd ? g.addT(paddingAdd, removed) : removed;
    probs = g.mul(
      g.softmax(g.addT(scaled, additive), -1),
      g.sub(one(), pairs(ATTRIBUTION_IO.attentionPairs)),
    );
  } else {
    probs = unmaskedProbs();
  }
  let values = v;
  let residual = rows;
  if (masked && alsoUnmasked) {
    // The unmasked pairs follow the masked ones along the batch axis; the rest of the layer runs on both.
    probs = g.concat([probs, unmaskedProbs()], 0);
    values = g.concat([v, v], 0);
    residual = g.concat([rows, rows], 0);
  }
  const perHead = g.matMul(probs, values);
  const context = headMasked
    ? g.mul(
        perHead,
        g.reshape(g.input(ATTRIBUTION_IO.headKeep, 'float32', ['batch', heads]), [0, heads, 1, 1]),
      )
    : perHead;
  const merged = g.reshape(g.transpose(context, [0, 2, 1, 3]), [0, 0, h]);
  let projected = linear(merged, 'attention_output');
  if (headVariants) {
    // Head k masked alone: the attention output less head k's context times head k's rows of W_o,
    // [batch, heads, rows, hidden] -> [heads, batch, rows, hidden]; the rest of the layer broadcasts over heads.
    const perHeadWeights = g.reshape(w['attention_output.weight_t'], [heads, headSize, h]);
    const dropped = g.matMul(perHead, perHeadWeights);
    projected = g.transpose(g.sub(g.unsqueeze(projected, [1]), dropped), [1, 0, 2, 3]);
  }
  const attended = norm(g.addT(projected, residual), 'attention_norm');
  const pre = linear(attended, 'intermediate');
  const gelu = g.gelu(pre);
  return norm(g.addT(linear(gelu, 'output'), attended), 'output_norm');
}

/** One BERT layer as its own graph (weights as inputs named as LAYER_WEIGHT_NAMES, unless `fixed`). */
export function buildLayerGraph(config: BertConfig, options: LayerGraphOptions = {}): GraphBuilder {
  const {
    gradient: withGradient = false,
    masked = false,
    fixed,
    clsOnly = false,
    padded = true,
    headMasked = false,
    headVariants = false,
    alsoUnmasked = false,
  } = options;
  if (alsoUnmasked && (!masked || headMasked || withGradient))
    throw new Error('a layer graph with its unmasked output too is masked, without head mask or gradient');
  if (masked && clsOnly) throw new Error('a masked layer graph computes every position');
  if (headVariants && (masked || headMasked || withGradient || clsOnly))
    throw new Error('a head-variants layer graph takes no masks, gradient or [CLS]-only output');
  const name = masked ? 'bert_layer_masked' : clsOnly ? 'bert_layer_cls' : 'bert_layer';
  const g = new GraphBuilder(withGradient ? `${name}_vjp` : name);
  const h = config.hiddenSize;
  const x = g.input(ATTRIBUTION_IO.hidden, 'float32', HIDDEN_DIMS(h));
  const paddingMask = padded ? g.input(ATTRIBUTION_IO.attentionMask, 'int64', ['batch', 'seq']) : undefined;
  const w = layerWeightTensors(g, config, '', fixed);
  const y = appendLayer(g, config, x, paddingMask, w, {
    masked,
    clsOnly,
    headMasked,
    headVariants,
    alsoUnmasked,
  });
  if (headVariants) {
    g.output(y, ATTRIBUTION_IO.hiddenOut, 'float32', [config.numHeads, 'batch', 'seq', h]);
    return g;
  }
  const outDims = clsOnly
    ? ['batch', 1, h]
    : alsoUnmasked
      ? ['masked_then_unmasked', 'seq', h]
      : HIDDEN_DIMS(h);
  g.output(y, ATTRIBUTION_IO.hiddenOut, 'float32', outDims);
  if (withGradient) {
    const seed = g.input(ATTRIBUTION_IO.gradOut, 'float32', outDims);
    const [dx] = grad(g, y, [x], { seed });
    g.output(dx, ATTRIBUTION_IO.gradIn, 'float32', HIDDEN_DIMS(h));
  }
  return g;
}

/** Name of layer j's weight `name` as an input of a chain graph. */
export const chainWeightName = (j: number, name: LayerWeightName): string => `layer${j}.${name}`;

export interface ChainGraphOptions {
  /**
   * Bakes layer j's weights in as initializers where fixed[j] is given (onnxruntime then prepacks them and
   * folds their transposes); layers without are graph inputs named chainWeightName(j, name).
   */
  readonly fixed?: readonly (Record<LayerWeightName, LayerWeightArray> | undefined)[];
  /** With the padding mask input (default); see LayerGraphOptions.padded. */
  readonly padded?: boolean;
}

/**
 * Hidden state entered at layer k (0 <= k < L) -> score, and d score / d hidden, in one graph: layers k..L-1
 * (the last for [CLS] only: the head reads nothing else), the head, and the backward of all of them.
 * onnxruntime keeps every forward value it needs for the backward inside the run and frees it there:
 * nothing is recomputed and nothing crosses into JS but the score and the gradient. Layer weights are
 * inputs (chainWeightName), the same JS tensors for every starting layer, unless `fixed`.
 */
export function buildChainGraph(
  checkpoint: BertCheckpoint,
  from: number,
  { fixed, padded = true }: ChainGraphOptions = {},
): GraphBuilder {
  const { config } = checkpoint;
  const L = config.numLayers;
  if (!Number.isInteger(from) || from < 0 || from >= L)
    throw new Error(`a chain starts at a layer 0-${L - 1}, not ${from}`);
  const g = new GraphBuilder(`bert_chain_from_${from}`);
  const h = config.hiddenSize;
  const x = g.input(ATTRIBUTION_IO.hidden, 'float32', HIDDEN_DIMS(h));
  const paddingMask = padded ? g.input(ATTRIBUTION_IO.attentionMask, 'int64', ['batch', 'seq']) : undefined;
  let state = x;
  // The input of every layer after the first: their gradients are values of the same backward pass.
  const layerInputs: Tensor[] = [];
  for (let j = from; j < L; j++) {
    if (j > from) layerInputs.push(state);
    const weights = layerWeightTensors(g, config, `layer${j}.`, fixed?.[j]);
    state = appendLayer(g, config, state, paddingMask, weights, { clsOnly: j === L - 1 });
  }
  const score = appendHead(g, checkpoint, state);
  g.output(score, ATTRIBUTION_IO.score, 'float32', ['batch']);
  const [dx, ...above] = grad(g, score, [x, ...layerInputs]);
  g.output(dx, ATTRIBUTION_IO.gradIn, 'float32', HIDDEN_DIMS(h));
  above.forEach((d, i) => g.output(d, chainGradientName(from + 1 + i), 'float32', HIDDEN_DIMS(h)));
  return g;
}

/**
 * Output of a chain graph: d score / d (input of layer j), for every layer j after the chain's first. Runs
 * that fetch only score and grad_in never copy them out.
 */
export const chainGradientName = (j: number): string => `grad_in_layer${j}`;

function param(g: GraphBuilder, ref: WeightRef, label: string, transpose = false): Tensor {
  const { data, dims } = transpose ? transposed(ref) : plain(ref);
  return g.initializer(label, 'float32', dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** ids -> embedding output (hidden state 0), as buildBertGraph computes it. */
export function buildEmbeddingGraph(checkpoint: BertCheckpoint): GraphBuilder {
  const { config, weights } = checkpoint;
  const g = new GraphBuilder('bert_embeddings');
  const inputIds = g.input(ATTRIBUTION_IO.inputIds, 'int64', ['batch', 'seq']);
  const tokenTypeIds = g.input(ATTRIBUTION_IO.tokenTypeIds, 'int64', ['batch', 'seq']);
  const words = g.gather(param(g, weights.wordEmbeddings, 'embeddings.word'), inputIds, 0);
  const positions = g.slice(
    param(g, weights.positionEmbeddings, 'embeddings.position'),
    g.constInt64([0]),
    g.shape(inputIds, 1, 2),
    g.constInt64([0]),
  );
  const types = g.gather(param(g, weights.tokenTypeEmbeddings, 'embeddings.token_type'), tokenTypeIds, 0);
  const norm = weights.embeddingNorm;
  const x = g.layerNorm(
    g.addT(g.addT(words, positions), types),
    param(g, norm.weight, 'embeddings.norm.weight'),
    param(g, norm.bias, 'embeddings.norm.bias'),
    config.layerNormEps,
  );
  g.output(x, ATTRIBUTION_IO.hiddenOut, 'float32', HIDDEN_DIMS(config.hiddenSize));
  return g;
}

/** Appends pooler + classifier + score on the [CLS] row of x; float [batch]. */
function appendHead(g: GraphBuilder, checkpoint: BertCheckpoint, x: Tensor): Tensor {
  const { config, weights } = checkpoint;
  const dense = (t: Tensor, w: { weight: WeightRef; bias: WeightRef }, label: string) =>
    g.addT(g.matMul(t, param(g, w.weight, `${label}.weight_t`, true)), param(g, w.bias, `${label}.bias`));
  const first = g.gather(x, g.constInt64([0], [], 'cls_index'), 1);
  const logits = dense(g.tanh(dense(first, weights.pooler, 'pooler')), weights.classifier, 'classifier');
  return config.numLabels === 1
    ? g.squeeze(logits, [1])
    : g.gather(g.softmax(logits, -1), g.constInt64([1], [], 'positive_class'), 1);
}

/**
 * The last layer for [CLS] only, with the head mask input, then the head: hidden state entered at layer L - 1
 * -> score. What every masked run that leaves the last layer's other positions unread ends with. With
 * headVariants, no head mask input: the scores with each head of the last layer masked alone, [heads * batch].
 * With masked, the per-pair token and attention masks instead of the head mask (their [CLS] rows apply); with
 * alsoUnmasked as well, [2 * batch] scores: masked, then unmasked (keys and values computed once).
 */
export function buildTailGraph(
  checkpoint: BertCheckpoint,
  fixed: Record<LayerWeightName, LayerWeightArray>,
  {
    headVariants = false,
    masked = false,
    alsoUnmasked = false,
  }: { readonly headVariants?: boolean; readonly masked?: boolean; readonly alsoUnmasked?: boolean } = {},
): GraphBuilder {
  const { config } = checkpoint;
  const h = config.hiddenSize;
  if (headVariants && masked) throw new Error('a head-variants tail takes no pair masks');
  const g = new GraphBuilder(
    headVariants ? 'bert_tail_head_variants' : masked ? 'bert_tail_masked' : 'bert_tail',
  );
  const x = g.input(ATTRIBUTION_IO.hidden, 'float32', HIDDEN_DIMS(h));
  const paddingMask = g.input(ATTRIBUTION_IO.attentionMask, 'int64', ['batch', 'seq']);
  const w = layerWeightTensors(g, config, '', fixed);
  if (headVariants) {
    // [heads, batch, 1, hidden] -> [heads * batch, 1, hidden]: score k * batch + p is pair p with head k masked.
    const last = appendLayer(g, config, x, paddingMask, w, { clsOnly: true, headVariants: true });
    const score = appendHead(g, checkpoint, g.reshape(last, [-1, 1, h]));
    g.output(score, ATTRIBUTION_IO.score, 'float32', ['variants']);
    return g;
  }
  const last = appendLayer(g, config, x, paddingMask, w, {
    clsOnly: true,
    masked,
    headMasked: !masked,
    alsoUnmasked,
  });
  const scoreDims = [alsoUnmasked ? 'masked_then_unmasked' : 'batch'];
  g.output(appendHead(g, checkpoint, last), ATTRIBUTION_IO.score, 'float32', scoreDims);
  return g;
}

/** Last hidden state -> score, and (withGradient) d score / d hidden (each batch row is its own point). */
export function buildHeadGraph(checkpoint: BertCheckpoint, withGradient = true): GraphBuilder {
  const { config } = checkpoint;
  const g = new GraphBuilder('bert_head');
  const x = g.input(ATTRIBUTION_IO.hidden, 'float32', HIDDEN_DIMS(config.hiddenSize));
  const score = appendHead(g, checkpoint, x);
  g.output(score, ATTRIBUTION_IO.score, 'float32', ['batch']);
  if (!withGradient) return g;
  const [dx] = grad(g, score, [x]);
  g.output(dx, ATTRIBUTION_IO.gradIn, 'float32', HIDDEN_DIMS(config.hiddenSize));
  return g;
}
