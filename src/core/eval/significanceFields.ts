// Significance options written by hand (a request file's `significance`, VS Code's settings): each field is
// checked on its own and a wrong one is named the way its writer wrote it.
import { MAX_SEED } from '../random';
import { significanceOptions, type SignificanceOptions } from './significance';

const FIELDS: Readonly<Record<keyof SignificanceOptions, { expected: string; ok: (n: number) => boolean }>> =
  {
    alpha: { expected: 'a number within (0, 1)', ok: (n) => n > 0 && n < 1 },
    resamples: { expected: 'a positive integer', ok: (n) => Number.isInteger(n) && n >= 1 },
    permutations: { expected: 'a positive integer', ok: (n) => Number.isInteger(n) && n >= 1 },
    seed: {
      expected: `a whole number from 0 to ${MAX_SEED}`,
      ok: (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED,
    },
    exactUpTo: { expected: 'an integer from 1 to 24', ok: (n) => Number.isInteger(n) && n >= 1 && n <= 24 },
  };

export const SIGNIFICANCE_FIELDS = Object.keys(FIELDS) as (keyof SignificanceOptions)[];

/** One field that is not what it should be: named as its writer names it, what it must be, what it is. */
export class SignificanceFieldError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${field} must be ${expected}, got ${found}`);
    this.name = 'SignificanceFieldError';
  }
}

/**
 * The options the fields give over the defaults. `nameOf` says a field as its writer wrote it
 * ("significance.alpha" in a request file, "ranklens.significance.alpha" in VS Code's settings).
 */
export function significanceFromFields(
  fields: unknown,
  nameOf: (field: string) => string,
): SignificanceOptions {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw new SignificanceFieldError(
      nameOf('').replace(/\.$/, ''),
      `an object with some of ${SIGNIFICANCE_FIELDS.join(', ')}`,
      JSON.stringify(fields),
    );
  const given: Partial<Record<keyof SignificanceOptions, number>> = {};
  for (const [key, value] of Object.entries(fields)) {
    const field = FIELDS[key as keyof SignificanceOptions];
    if (!field)
      throw new SignificanceFieldError(
        nameOf(key),
        `one of ${SIGNIFICANCE_FIELDS.map(nameOf).join(', ')}`,
        'an option the intervals and tests do not have',
      );
    if (value === undefined) continue;
    if (typeof value !== 'number' || !field.ok(value))
      throw new SignificanceFieldError(nameOf(key), field.expected, JSON.stringify(value));
    given[key as keyof SignificanceOptions] = value;
  }
  return significanceOptions(given);
}
