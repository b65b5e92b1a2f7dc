import type { AttributedToken, AttributionResult, LayerAttribution } from '../core/attribution';
import { defineProtocol } from './endpoint';
import * as v from './validate';

export const tokenKind = v.literal('cls', 'sep', 'query', 'doc', 'period', 'pad');
export const baseline = v.literal('empty-query', 'empty-document');

export const attributedToken: v.Validator<AttributedToken> = v.object({
  text: v.string,
  kind: tokenKind,
  segment: v.literal(0, 1),
  start: v.integer,
  end: v.integer,
});

export const layerAttribution: v.Validator<LayerAttribution> = v.object({
  layer: v.integer,
  baseline,
  attributions: v.numbers,
  scoreInput: v.number,
  scoreBaseline: v.number,
  sum: v.number,
  completenessError: v.number,
  points: v.integer,
  converged: v.boolean,
  convergenceDelta: v.number,
});

export const attributionResult: v.Validator<AttributionResult> = v.object({
  tokens: v.array(attributedToken),
  score: v.number,
  tolerance: v.number,
  layers: v.array(layerAttribution),
});

/**
 * A query/passage pair as the panels name it: the texts (token offsets point into them), the ids when it
 * comes from the open dataset, and the model's checkpoint folder name and layer count. Spread into the
 * messages that show a pair.
 */
export const pairFields = {
  query: v.string,
  passage: v.string,
  qid: v.optional(v.string),
  pid: v.optional(v.string),
  /** Checkpoint folder name, for the heading. */
  model: v.string,
  numLayers: v.integer,
};

/** What the attribution panel shows: the result, the original texts its token offsets point into, and where it was saved. */
export const attributionView = v.object({
  result: attributionResult,
  ...pairFields,
  savedTo: v.string,
});
export type AttributionView = v.Infer<typeof attributionView>;

/** What a view reports about what it has drawn (tests and screenshots wait on it). */
export const attributionRendered = v.object({
  /** Layers in the layer selector and baselines in the baseline selector. */
  layers: v.integer,
  baselines: v.integer,
  /** Text spans coloured by attribution (query and passage tokens). */
  coloredSpans: v.integer,
  /** Of those, how many are visibly coloured (not within a few levels of the background). */
  visiblyColored: v.integer,
  /** Cells drawn in the layers x tokens heatmap. */
  heatmapCells: v.integer,
  /** The body's theme class when drawn: vscode-light, vscode-dark, vscode-high-contrast(-light). */
  theme: v.string,
  /** The heatmap's axis label colour, as drawn (follows the theme). */
  axisLabelColor: v.string,
  layer: v.integer,
  /** Whether the heatmap's rows share one colour scale or each layer has its own (the default). */
  heatScale: v.literal('per-layer', 'shared'),
  /** Per heatmap row (layer order): cells whose drawn colour visibly differs from the background. */
  heatmapColouredCells: v.array(v.integer),
  /** Per heatmap row: its largest |attribution| (the end of its own scale). */
  heatmapRowMax: v.numbers,
});

/** The Integrated Gradients panel of one pair. */
export const attributionProtocol = defineProtocol({
  toView: {
    show: attributionView,
  },
  toHost: {
    rendered: attributionRendered,
    openJson: v.empty,
  },
  hostRequests: {
    /** "Save PNG": the heatmap as a data: URL (echarts getDataURL); the host writes it beside the JSON. */
    savePng: { params: v.object({ dataUrl: v.string }), result: v.object({ file: v.string }) },
  },
  viewRequests: {
    /** Asks the view to do what its "Save PNG" button does. */
    exportPng: { params: v.empty, result: v.object({ file: v.string }) },
    /** Selects a layer (as the selector would) and answers once it is drawn. */
    selectLayer: { params: v.object({ layer: v.integer }), result: attributionRendered },
    /** Sets the heatmap's colour scale as its checkbox would, answering once drawn. */
    setHeatScale: {
      params: v.object({ scale: v.literal('per-layer', 'shared') }),
      result: attributionRendered,
    },
  },
});
export type AttributionProtocol = typeof attributionProtocol;
