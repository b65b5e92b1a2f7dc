// Running BERT cross-encoders in process (the worker thread that runs them for the extension is src/worker).
export { Ranker, createSession } from './ranker';
export { loadPairEncoder, type PairEncoder } from './text';
export { compileMasks, type CompiledMasks } from './masks';
export type {
  HeadMaskSpec,
  InspectResult,
  MaskOptions,
  MaskSpec,
  ModelInfo,
  PairInput,
  RankerOptions,
  ScoreOptions,
  ScoreResult,
  Scorer,
  TokenSelector,
  SelectorKind,
} from './types';
export {
  ATTENTION_KINDS,
  attentionKindIndex,
  type AttentionKind,
  type AttentionSums,
} from './attentionKinds';
