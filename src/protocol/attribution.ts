import type { AttributionResult } from '../core/analysis/integratedGradients';

/** What the attribution panel shows: the result, the original texts its token offsets point into, and where it was saved. */
export interface AttributionView {
  readonly result: AttributionResult;
  readonly query: string;
  readonly passage: string;
  readonly qid?: string;
  readonly pid?: string;
  /** Checkpoint folder name, for the heading. */
  readonly model: string;
  readonly numLayers: number;
  readonly savedTo: string;
}

/** Messages between the extension host and the attribution panel; both sides import these types. */
export type ToAttributionView =
  | ({ readonly type: 'show' } & AttributionView)
  /** Asks the view to send the heatmap as it would for its "Save PNG" button. */
  | { readonly type: 'exportPng' };

export type FromAttributionView =
  | { readonly type: 'ready' }
  | {
      readonly type: 'rendered';
      /** Layers in the layer selector and baselines in the baseline selector. */
      readonly layers: number;
      readonly baselines: number;
      /** Text spans coloured by attribution (query and passage tokens). */
      readonly coloredSpans: number;
      /** Cells drawn in the layers x tokens heatmap. */
      readonly heatmapCells: number;
    }
  | { readonly type: 'openJson' }
  /** A PNG of the heatmap as a data: URL (echarts getDataURL). */
  | { readonly type: 'savePng'; readonly dataUrl: string };

export function isFromAttributionView(value: unknown): value is FromAttributionView {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; dataUrl?: unknown };
  switch (message.type) {
    case 'ready':
    case 'rendered':
    case 'openJson':
      return true;
    case 'savePng':
      return typeof message.dataUrl === 'string';
    default:
      return false;
  }
}
