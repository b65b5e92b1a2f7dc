import type { Baseline } from '../../src/core/attribution';

export const BASELINE_LABELS: Record<Baseline, string> = {
  'empty-query': 'empty query (query WordPieces → [PAD])',
  'empty-document': 'empty document (passage WordPieces → [PAD])',
};

export function layerLabel(layer: number, numLayers: number): string {
  if (layer === 0) return 'Layer 0 (embedding output)';
  if (layer === numLayers) return `Layer ${layer} (after the last layer)`;
  return `Layer ${layer}`;
}
