// Running BERT cross-encoders: in process (Ranker) or in a worker thread (RankerWorkerClient, whose entry
// src/core/runtime/worker-entry.ts must be bundled separately, e.g. as out/ranker-worker.js).
export { Ranker, createSession } from './ranker';
export { RankerWorkerClient, defaultWorkerPath, type WorkerClientOptions } from './worker-client';
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
