// Analyses on top of the ranker: layer-wise Integrated Gradients with exact (autodiff) gradients.
export {
  attribute,
  baselineIds,
  integrateLayer,
  BASELINES,
  COMPLETENESS_FLOOR,
  DEFAULT_TOLERANCE,
  type AttributedToken,
  type AttributionOptions,
  type AttributionResult,
  type Baseline,
  type GradientModel,
  type LayerAttribution,
  type LayerIntegral,
} from '../attribution';
export { BertGradientModel, type GradientModelOptions, type ScoresAndGradients } from '../bert/gradientModel';
