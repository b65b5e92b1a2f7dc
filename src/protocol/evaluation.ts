import type { EvaluationResult } from '../core/eval/metrics';

/** Messages between the extension host and the evaluation panel; both sides import these types. */
export type ToEvaluationView = {
  readonly type: 'show';
  readonly result: EvaluationResult;
  readonly savedTo: string;
};

export type FromEvaluationView =
  | { readonly type: 'ready' }
  | { readonly type: 'rendered'; readonly charts: number; readonly rows: number }
  | { readonly type: 'openJson' };

export function isFromEvaluationView(value: unknown): value is FromEvaluationView {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'rendered' || type === 'openJson';
}
