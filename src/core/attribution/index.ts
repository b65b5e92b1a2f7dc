// Integrated Gradients over a GradientModel (README.md): attribute() for pairs, the path integrals, the rules.
export {
  attribute,
  baselineIds,
  type AttributedToken,
  type AttributionResult,
  type LayerAttribution,
} from './attribute';
export type { GradientModel, ScoresAndGradients } from './gradientModel';
export {
  COMPLETENESS_FLOOR,
  integrateLayer,
  integrateLayerPaths,
  type LayerIntegral,
  type LayerPath,
} from './integratedGradients';
export {
  attributionLayerName,
  BASELINES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_TOLERANCE,
  type AttributionOptions,
  type Baseline,
  type PairAttributionOptions,
} from './options';
export { gaussLegendre, integrateAdaptively } from './quadrature';
