import { CheckpointError } from './checkpointError';

/**
 * The relevance score convention. One logit: the logit itself (sigmoid reported alongside, as
 * sentence-transformers' CrossEncoder does). Two logits: the probability of class 1, as monoBERT.
 */
export interface PairScore {
  readonly logits: number[];
  readonly score: number;
  /** Only for single-logit models. */
  readonly sigmoid?: number;
}

export function scoreFromLogits(logits: number[]): PairScore {
  const bad = logits.find((v) => !Number.isFinite(v));
  if (bad !== undefined) {
    // Never a score to print: the weights or the compiled graph are broken (see checkpoint checks).
    throw new CheckpointError(
      `the model produced a non-finite logit (${bad}); its weights or its compiled graph are broken`,
    );
  }
  if (logits.length === 1) {
    return { logits, score: logits[0], sigmoid: 1 / (1 + Math.exp(-logits[0])) };
  }
  if (logits.length === 2) {
    return { logits, score: 1 / (1 + Math.exp(logits[0] - logits[1])) };
  }
  throw new Error(`expected 1 or 2 logits, got ${logits.length}`);
}
