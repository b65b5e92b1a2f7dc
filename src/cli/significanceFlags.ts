// The options of the intervals and paired tests every analysis reports (`ranklens analyze`): α, bootstrap
// resamples, Monte-Carlo permutations and their seed. They change only how the result is finished, never a chunk.
import {
  DEFAULT_SIGNIFICANCE,
  significanceOptions,
  type SignificanceOptions,
} from '../core/eval/significance';
import { UsageError, optionalNumber, positiveInt, seedOption, type ParsedArgs } from './args';

export const SIGNIFICANCE_VALUES = ['alpha', 'resamples', 'permutations', 'significance-seed'] as const;

export const SIGNIFICANCE_USAGE = `  Intervals and tests: [--alpha A (default ${DEFAULT_SIGNIFICANCE.alpha}: 95% intervals, p < A is significant)]
        [--resamples N (bootstrap, default ${DEFAULT_SIGNIFICANCE.resamples})] [--permutations N (Monte-Carlo sign flips
        when more than ${DEFAULT_SIGNIFICANCE.exactUpTo} queries moved, default ${DEFAULT_SIGNIFICANCE.permutations})] [--significance-seed S (default ${DEFAULT_SIGNIFICANCE.seed})]`;

/** The options the flags give (checked), none when none was given. */
export function significanceOverrides(args: ParsedArgs): Partial<SignificanceOptions> {
  const given = {
    alpha: optionalNumber(args, 'alpha'),
    resamples: positiveInt(args, 'resamples'),
    permutations: positiveInt(args, 'permutations'),
    seed: seedOption(args, 'significance-seed'),
  };
  const overrides = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  withFlags({}, overrides);
  return overrides;
}

/** `base` (the defaults unless given) with the flags' overrides, said as flags when out of range. */
export function withFlags(
  base: Partial<SignificanceOptions>,
  overrides: Partial<SignificanceOptions>,
): SignificanceOptions {
  try {
    return significanceOptions({ ...base, ...overrides });
  } catch (e) {
    throw new UsageError(`--alpha/--resamples/--permutations: ${(e as Error).message}`);
  }
}

/** The options given, over the defaults; undefined when none was given (the result says the defaults). */
export function significanceFlags(args: ParsedArgs): SignificanceOptions | undefined {
  const overrides = significanceOverrides(args);
  return Object.keys(overrides).length === 0 ? undefined : withFlags({}, overrides);
}
