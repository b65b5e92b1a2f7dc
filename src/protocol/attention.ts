import { defineProtocol } from './endpoint';
import { attributedToken } from './attribution';
import * as v from './validate';

/** A token as the webviews draw it (EncodedToken without the id): the same fields as an attributed token. */
export const viewToken = attributedToken;
export type ViewToken = v.Infer<typeof viewToken>;

/**
 * Attention probabilities of one pair, [layer, head, i, j] row-major over the pair's real tokens, as
 * binary (a Float32Array that owns its buffer), never as a JSON array.
 */
export const attentionTensor = v.object({
  numLayers: v.integer,
  numHeads: v.integer,
  seqLength: v.integer,
  data: v.float32Array,
});
export type AttentionTensor = v.Infer<typeof attentionTensor>;

/** Per-layer mean attention to each kind of token, over heads and attending positions (Figure 1). */
export const attentionShares = v.object({
  cls: v.numbers,
  sep: v.numbers,
  period: v.numbers,
  query: v.numbers,
  doc: v.numbers,
});
export type AttentionShares = v.Infer<typeof attentionShares>;

export const attentionPair = v.object({
  /** Where the pair comes from, for the heading (e.g. "qid 1037798 · pid 7130228", "Inspector"). */
  label: v.string,
  query: v.string,
  passage: v.string,
  tokens: v.array(viewToken),
  attention: attentionTensor,
  score: v.number,
  /** Dataset mean from an attention analysis under .ranklens/analyses, if one has been run. */
  datasetMean: v.optional(v.object({ source: v.string, shares: attentionShares })),
});
export type AttentionPair = v.Infer<typeof attentionPair>;

/** What the explorer reports after drawing (tests, screenshots, timings). */
export const attentionRendered = v.object({
  mode: v.literal('model', 'head', 'summary'),
  layer: v.integer,
  head: v.integer,
  tokens: v.integer,
  thumbnails: v.integer,
  /** Head view: which attention is drawn (all, query → doc, doc → query). */
  direction: v.literal('all', 'query-to-doc', 'doc-to-query'),
  /** The token hovered or focused in the head view, and what the readout says about it. */
  focusedToken: v.optional(v.object({ side: v.literal('left', 'right'), position: v.integer })),
  readout: v.string,
  /** The dataset mean drawn beside the pair's summary: its source file, if one was found. */
  datasetMean: v.optional(v.string),
  /** Query/passage of the pair shown (the explorer follows the active pair). */
  label: v.string,
  theme: v.string,
  ms: v.number,
});

/** The attention explorer, a side-bar view that follows the active pair. */
export const attentionProtocol = defineProtocol({
  toView: {
    pair: attentionPair,
    /** No pair yet, or the pair is being computed. */
    status: v.object({ message: v.string, busy: v.boolean }),
  },
  toHost: {
    rendered: attentionRendered,
  },
  hostRequests: {},
  viewRequests: {
    /** Shows a view of the current pair as the controls would, answering once it is drawn. */
    showMode: {
      params: v.object({
        mode: v.literal('model', 'head', 'summary'),
        layer: v.optional(v.integer),
        head: v.optional(v.integer),
        lineMode: v.optional(v.literal('lines', 'heatmap')),
        direction: v.optional(v.literal('all', 'query-to-doc', 'doc-to-query')),
      }),
      result: attentionRendered,
    },
  },
});
export type AttentionProtocol = typeof attentionProtocol;
