import { GraphBuilder, type Tensor } from '../graph/builder';
import type { LazyBytes } from '../graph/protobuf';
import { quantizeColumns, type QuantizedWeight } from '../graph/quantize';
import { rowRanged, rowRangedMatMul, type RowRanged } from '../graph/rowRangedMatMul';
import type { BertCheckpoint, LayerNormWeights, LinearWeights, WeightRef } from '../model/checkpoint';

/**
 * plain: ids in, logits/score out (a baseline). score: plus the experiment masks. inspect: plus
 * attention probabilities and hidden states of every layer. attention-stats: the score graph plus, per layer
 * and head, the attention mass between token kinds (reduced inside the graph: [L, batch, H, K, K] instead of
 * [L, batch, H, seq, seq]).
 */
export type GraphVariant = 'plain' | 'score' | 'inspect' | 'attention-stats';

/**
 * fp32: every product in float32 (exact up to float rounding). int8: the encoder layers' six weight products
 * per layer run as DynamicQuantizeMatMul (int8 weights, per output channel; uint8 activations, per row), for
 * large re-ranking runs; attention products, embeddings, pooler and classifier stay float32. Scores only:
 * inspection and attribution always use fp32 graphs.
 */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];
/** The variants an int8 graph may be built for: those whose only output is a score. */
export const INT8_VARIANTS: readonly GraphVariant[] = ['plain', 'score'];

/** Graph input and output names, shared by the runtime. */
export const BERT_IO = {
  inputIds: 'input_ids',
  tokenTypeIds: 'token_type_ids',
  /** HF padding mask: 1 real token, 0 padding. int64 [batch, seq]. */
  attentionMask: 'attention_mask',
  /** Group membership of each position, float [batch, seq, groups] (one-hot rows, normally). */
  maskGroups: 'exp_groups',
  /** float [layers, groups, groups]; 1 = key group j is removed before softmax for query group i (rows renormalise). */
  tokenMask: 'exp_token_mask',
  /** float [layers, groups, groups]; 1 = probability zeroed after softmax (rows are NOT renormalised). */
  attentionMaskTable: 'exp_attention_mask',
  /** float [layers, heads]; 1 = the head's probabilities are zeroed (its output contributes nothing). */
  headMask: 'exp_head_mask',
  logits: 'logits',
  score: 'score',
  /** float [layers, batch, heads, seq, seq], after every mask. */
  attentions: 'attentions',
  /** float [layers + 1, batch, seq, hidden]: embeddings output, then each layer's output. */
  hiddenStates: 'hidden_states',
  /** attention-stats input: float [batch, seq, kinds], a one-hot kind per position (all 0 for padding). */
  tokenKinds: 'token_kinds',
  /**
   * attention-stats output: float [layers, batch, heads, kinds, kinds]; entry (r, k) = sum over positions i of
   * kind r and j of kind k of the attention probability i -> j (after every mask, head mask included).
   */
  attentionKindSums: 'attention_kind_sums',
} as const;

/** Added (times the mask value) to attention scores; exp() of it underflows to exactly 0 in float32. */
export const MASK_NEGATIVE = -10000;

/** Bump whenever the graph changes, so cached .onnx files are rebuilt. */
export const BERT_GRAPH_VERSION = 5;

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function lazyWeight(ref: WeightRef): LazyBytes {
  const count = ref.shape.reduce((a, b) => a * b, 1);
  return { byteLength: count * 4, produce: () => floatBytes(ref.read()) };
}

/** PyTorch Linear stores [out, in]; MatMul wants [in, out]. Transposed while the model is written. */
function lazyTransposed(ref: WeightRef): LazyBytes {
  const [rows, cols] = ref.shape;
  return { byteLength: rows * cols * 4, produce: () => floatBytes(transposed(ref)) };
}

function transposed(ref: WeightRef): Float32Array {
  const [rows, cols] = ref.shape;
  const source = ref.read();
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = source[r * cols + c];
  }
  return out;
}

/**
 * The int8 values, per-column scales and dequantised column sums of a PyTorch Linear weight ([out, in], as
 * MatMul's [in, out]), quantised once when the first of the three is written and dropped when the last has been.
 */
function lazyQuantized(ref: WeightRef): { values: LazyBytes; scales: LazyBytes; columnSums: LazyBytes } {
  const [rows, cols] = ref.shape;
  const parts = 3;
  let pending: QuantizedWeight | undefined;
  let taken = 0;
  const take = (): QuantizedWeight => {
    pending ??= quantizeColumns(transposed(ref), cols, rows);
    const result = pending;
    if (++taken % parts === 0) pending = undefined;
    return result;
  };
  return {
    values: {
      byteLength: rows * cols,
      produce: () => {
        const { values } = take();
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      },
    },
    scales: { byteLength: rows * 4, produce: () => floatBytes(take().scales) },
    columnSums: { byteLength: rows * 4, produce: () => floatBytes(take().columnSums) },
  };
}

/** Builds HF BertForSequenceClassification (post-LN, erf GELU, tanh pooler) with our masking hooks. */
export function buildBertGraph(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  precision: Precision = 'fp32',
): GraphBuilder {
  if (precision === 'int8' && !INT8_VARIANTS.includes(variant))
    throw new Error(`the ${variant} graph is exact only: int8 is for ${INT8_VARIANTS.join(' and ')} graphs`);
  const { config, weights } = checkpoint;
  const g = new GraphBuilder(`bert_${variant}${precision === 'int8' ? '_int8' : ''}`);
  const h = config.hiddenSize;
  const heads = config.numHeads;
  const headSize = h / heads;
  const L = config.numLayers;
  const instrumented = variant !== 'plain';

  const param = (ref: WeightRef, label: string) =>
    g.initializer(label, 'float32', ref.shape, lazyWeight(ref));
  const linear = (x: Tensor, w: LinearWeights, label: string): Tensor => {
    const [out, inp] = w.weight.shape;
    const weight = g.initializer(`${label}.weight_t`, 'float32', [inp, out], lazyTransposed(w.weight));
    return g.addT(g.matMul(x, weight), param(w.bias, `${label}.bias`));
  };
  /** Each int8 product's input in per-row ranged form, made once per input tensor (query, key, value share it). */
  const rowsOf = new Map<string, RowRanged>();
  /**
   * An encoder layer's Linear: int8 (activations per row, weights per output column) in an int8 graph, except
   * where `rowsOnly` says it reads the [CLS] row alone: a product over one row per pair costs nothing next to
   * the layers over every token, so it stays exact and adds no error.
   */
  const layerLinear = (x: Tensor, w: LinearWeights, label: string, rowsOnly = false): Tensor => {
    if (precision === 'fp32' || rowsOnly) return linear(x, w, label);
    const [out, inp] = w.weight.shape;
    const quantized = lazyQuantized(w.weight);
    const values = g.initializer(`${label}.weight_t_int8`, 'int8', [inp, out], quantized.values);
    const scales = g.initializer(`${label}.weight_scale`, 'float32', [out], quantized.scales);
    const sums = g.initializer(`${label}.weight_column_sums`, 'float32', [out], quantized.columnSums);
    let rows = rowsOf.get(x.name);
    if (!rows) rowsOf.set(x.name, (rows = rowRanged(g, x)));
    return rowRangedMatMul(g, rows, values, scales, sums, param(w.bias, `${label}.bias`));
  };
  const layerNorm = (x: Tensor, w: LayerNormWeights, label: string, name?: string): Tensor =>
    g.layerNorm(
      x,
      param(w.weight, `${label}.weight`),
      param(w.bias, `${label}.bias`),
      config.layerNormEps,
      name,
    );

  const inputIds = g.input(BERT_IO.inputIds, 'int64', ['batch', 'seq']);
  const tokenTypeIds = g.input(BERT_IO.tokenTypeIds, 'int64', ['batch', 'seq']);
  const paddingMask = g.input(BERT_IO.attentionMask, 'int64', ['batch', 'seq']);
  const groups = instrumented
    ? g.input(BERT_IO.maskGroups, 'float32', ['batch', 'seq', 'groups'])
    : undefined;
  const tokenMask = instrumented ? g.input(BERT_IO.tokenMask, 'float32', [L, 'groups', 'groups']) : undefined;
  const attentionTable = instrumented
    ? g.input(BERT_IO.attentionMaskTable, 'float32', [L, 'groups', 'groups'])
    : undefined;
  const headMask = instrumented ? g.input(BERT_IO.headMask, 'float32', [L, heads]) : undefined;
  const kinds =
    variant === 'attention-stats'
      ? g.input(BERT_IO.tokenKinds, 'float32', ['batch', 'seq', 'kinds'])
      : undefined;
  // [batch, 1, seq, kinds] and its transpose, broadcast over heads.
  const kindsColumns = kinds ? g.unsqueeze(kinds, [1]) : undefined;
  const kindsRows = kindsColumns ? g.transpose(kindsColumns, [0, 1, 3, 2]) : undefined;
  const kindSums: Tensor[] = [];

  // Embeddings: word + absolute position (0..seq-1) + token type, then LayerNorm.
  const words = g.gather(param(weights.wordEmbeddings, 'embeddings.word'), inputIds, 0);
  const seqLength = g.shape(inputIds, 1, 2);
  const positions = g.slice(
    param(weights.positionEmbeddings, 'embeddings.position'),
    g.constInt64([0]),
    seqLength,
    g.constInt64([0]),
  );
  const types = g.gather(param(weights.tokenTypeEmbeddings, 'embeddings.token_type'), tokenTypeIds, 0);
  let x = layerNorm(g.addT(g.addT(words, positions), types), weights.embeddingNorm, 'embeddings.norm');
  const hidden: Tensor[] = [x];

  const one = g.constFloat([1], [], 'one');
  const negative = g.constFloat([MASK_NEGATIVE], [], 'mask_negative');
  // [batch, 1, 1, seq]: MASK_NEGATIVE on padding keys.
  const paddingAdd = g.unsqueeze(g.mul(g.sub(one, g.cast(paddingMask, 'float32')), negative), [1, 2]);
  const groupsT = groups ? g.transpose(groups, [0, 2, 1]) : undefined;
  /** table[layer] spread over token pairs: [batch, 1, seq, seq]. */
  const pairMask = (table: Tensor, layer: Tensor, queryGroups = groups as Tensor): Tensor =>
    g.unsqueeze(g.matMul(g.matMul(queryGroups, g.gather(table, layer, 0)), groupsT as Tensor), [1]);

  const scale = g.constFloat([Math.sqrt(headSize)], [], 'sqrt_head_size');
  const sqrt2 = g.constFloat([Math.SQRT2], [], 'sqrt2');
  const half = g.constFloat([0.5], [], 'half');
  const attentions: Tensor[] = [];
  // A score needs only the last layer's [CLS] row: there, queries, the attention output and the feed-forward
  // run on that row alone (keys and values still on every token), about 5/6 of the layer's products skipped.
  // Attention statistics need every row's probabilities there, but the context of [CLS] alone.
  const clsOnlyTail = variant === 'plain' || variant === 'score';
  const clsContextTail = variant === 'attention-stats';
  const clsIndex = clsOnlyTail || clsContextTail ? g.constInt64([0], [1], 'cls_position') : undefined;
  for (let i = 0; i < L; i++) {
    const w = weights.layers[i];
    const p = `layer${i}`;
    const clsOnly = clsOnlyTail && i === L - 1;
    const clsContext = clsContextTail && i === L - 1;
    const splitHeads = (t: Tensor, perm: number[]) =>
      g.transpose(g.reshape(t, [0, 0, heads, headSize]), perm);
    // [batch, 1, hidden] in a [CLS]-only layer: the rows whose outputs are needed.
    const rows = clsOnly || clsContext ? g.gather(x, clsIndex as Tensor, 1) : x;
    const q = splitHeads(layerLinear(clsOnly ? rows : x, w.query, `${p}.query`, clsOnly), [0, 2, 1, 3]);
    const kT = splitHeads(layerLinear(x, w.key, `${p}.key`), [0, 2, 3, 1]);
    const v = splitHeads(layerLinear(x, w.value, `${p}.value`), [0, 2, 1, 3]);
    const scaled = g.div(g.matMul(q, kT), scale);
    let context: Tensor;
    if (instrumented) {
      const layer = g.constInt64([i], [], 'layer');
      // Masks are combined at [batch, 1, seq, seq] so each costs at most one pass over [batch, heads, seq, seq].
      const queryGroups = clsOnly ? g.gather(groups as Tensor, clsIndex as Tensor, 1) : (groups as Tensor);
      const additive = g.addT(paddingAdd, g.mul(pairMask(tokenMask as Tensor, layer, queryGroups), negative));
      let probs = g.softmax(g.addT(scaled, additive), -1);
      probs = g.mul(probs, g.sub(one, pairMask(attentionTable as Tensor, layer, queryGroups)));
      const headKeep = g.sub(one, g.reshape(g.gather(headMask as Tensor, layer, 0), [1, heads, 1, 1]));
      if (variant === 'inspect') {
        probs = g.mul(probs, headKeep, `${p}.probs`);
        attentions.push(probs);
        context = g.matMul(probs, v);
      } else {
        // Same product, applied to the smaller [batch, heads, seq, head_size] context (seq/head_size x fewer).
        const contextRows = clsContext ? g.gather(probs, clsIndex as Tensor, 2) : probs;
        context = g.mul(g.matMul(contextRows, v), headKeep);
        if (kindsColumns && kindsRows) {
          // kinds^T P kinds, then the head mask on the small [kinds, kinds] result.
          const sums = g.matMul(kindsRows, g.matMul(probs, kindsColumns));
          kindSums.push(g.mul(sums, headKeep));
        }
      }
    } else {
      context = g.matMul(g.softmax(g.addT(scaled, paddingAdd), -1), v);
    }
    const merged = g.reshape(g.transpose(context, [0, 2, 1, 3]), [0, 0, h]);
    const attended = layerNorm(
      g.addT(layerLinear(merged, w.attentionOutput, `${p}.attention_output`, clsOnly), rows),
      w.attentionNorm,
      `${p}.attention_norm`,
    );
    const pre = layerLinear(attended, w.intermediate, `${p}.intermediate`, clsOnly);
    const gelu = g.mul(g.mul(pre, half), g.addT(one, g.erf(g.div(pre, sqrt2))));
    x = layerNorm(
      g.addT(layerLinear(gelu, w.output, `${p}.output`, clsOnly), attended),
      w.outputNorm,
      `${p}.output_norm`,
      `${p}.hidden`,
    );
    hidden.push(x);
  }

  const first = g.gather(x, g.constInt64([0], [], 'cls_index'), 1);
  const pooled = g.tanh(linear(first, weights.pooler, 'pooler'));
  const logits = linear(pooled, weights.classifier, 'classifier');
  const score =
    config.numLabels === 1
      ? g.squeeze(logits, [1])
      : g.gather(g.softmax(logits, -1), g.constInt64([1], [], 'positive_class'), 1);
  g.output(logits, BERT_IO.logits, 'float32', ['batch', config.numLabels]);
  g.output(score, BERT_IO.score, 'float32', ['batch']);
  if (variant === 'inspect') {
    const stack = (ts: Tensor[]) =>
      g.concat(
        ts.map((t) => g.unsqueeze(t, [0])),
        0,
      );
    g.output(stack(attentions), BERT_IO.attentions, 'float32', [L, 'batch', heads, 'seq', 'seq']);
    g.output(stack(hidden), BERT_IO.hiddenStates, 'float32', [L + 1, 'batch', 'seq', h]);
  }
  if (variant === 'attention-stats') {
    const stacked = g.concat(
      kindSums.map((t) => g.unsqueeze(t, [0])),
      0,
    );
    g.output(stacked, BERT_IO.attentionKindSums, 'float32', [L, 'batch', heads, 'kinds', 'kinds']);
  }
  return g;
}
