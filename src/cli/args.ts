import * as os from 'node:os';
import { defaultGraphCacheDir } from '../core/bert/cache';
import { MAX_SEED } from '../core/random';
import { PRECISIONS, type Precision } from '../core/bert/graph';

/** A small, strict argument parser: `--name value`, `--flag`, and positionals; unknown options are errors. */
export interface ParsedArgs {
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(
  argv: readonly string[],
  spec: { values: readonly string[]; flags: readonly string[] },
): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.flags.includes(name)) {
      options.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      // `--out --json` forgot the value: the next option is not a file name (`--out=--json` still is).
      if (inline === undefined && isOptionOf(spec, value))
        throw new UsageError(`--${name} needs a value, found the option ${value}`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { options, positionals };
}

function isOptionOf(spec: { values: readonly string[]; flags: readonly string[] }, arg: string): boolean {
  if (!arg.startsWith('--')) return false;
  const name = arg.slice(2).split('=', 1)[0];
  return spec.values.includes(name) || spec.flags.includes(name);
}

export function required(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalNumber(args: ParsedArgs, name: string): number | undefined {
  const value = args.options.get(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got ${String(value)}`);
  return n;
}

/** --NAME's value, or undefined when it was not given. */
export function optionalText(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function positiveInt(args: ParsedArgs, name: string): number | undefined {
  const n = optionalNumber(args, name);
  if (n !== undefined && (!Number.isInteger(n) || n < 1))
    throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

export function nonNegativeInt(args: ParsedArgs, name: string): number | undefined {
  const n = optionalNumber(args, name);
  if (n !== undefined && (!Number.isInteger(n) || n < 0))
    throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

/** --cache-dir, else this user's cache ($XDG_CACHE_HOME/ranklens/graphs or ~/.cache/ranklens/graphs). */
export function cacheDirOf(args: ParsedArgs): string {
  return optionalText(args, 'cache-dir') ?? defaultGraphCacheDir();
}

/** The one positional argument, named `what` in the error (`ranklens merge DIR`). */
export function onlyPositional(args: ParsedArgs, what: string): string {
  const [value, ...extra] = args.positionals;
  if (!value || extra.length > 0) throw new UsageError(`give exactly one ${what}`);
  return value;
}

/** The positional argument when there is one (`ranklens jobs [DIR]`), named `what` in the error. */
export function optionalPositional(args: ParsedArgs, what: string): string | undefined {
  const [value, ...extra] = args.positionals;
  if (extra.length > 0) throw new UsageError(`give at most one ${what}`);
  return value;
}

/**
 * --min-relevance: the grade at or above which a passage counts as relevant. Every command reads it here:
 * 0 or less would count unjudged passages (grade 0) as relevant and report MRR@10 1.0.
 */
export function minRelevanceOption(args: ParsedArgs): number | undefined {
  const grade = optionalNumber(args, 'min-relevance');
  if (grade !== undefined && !(Number.isInteger(grade) && grade >= 1)) {
    throw new UsageError(
      `--min-relevance must be a grade above 0 (a whole number: 1 for MS MARCO, 2 for TREC DL), got ${grade}`,
    );
  }
  return grade;
}

/**
 * A seed option (--seed, --probe-seed): a whole number the seeded generator uses as is. Its state has 32
 * bits, so a larger seed would give the same sample as a smaller one; and a number above 2^53 would not
 * even be stored as typed.
 */
export function seedOption(args: ParsedArgs, name: string): number | undefined {
  const value = args.options.get(name);
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) > MAX_SEED)
    throw new UsageError(`--${name} must be a whole number from 0 to ${MAX_SEED}, got ${String(value)}`);
  return Number(text);
}

/**
 * --threads: onnxruntime's threads, at most one per core of this machine (onnxruntime allocates per thread
 * up front: a billion threads is std::bad_alloc, not a slow run).
 */
export function threadsOption(args: ParsedArgs): number | undefined {
  const threads = positiveInt(args, 'threads');
  const cores = os.availableParallelism();
  if (threads !== undefined && threads > cores)
    throw new UsageError(`--threads must be at most ${cores} (the cores of this machine), got ${threads}`);
  return threads;
}

/** --precision fp32|int8 (default fp32): the score graph's precision. */
export function precisionOption(args: ParsedArgs): Precision {
  const text = optionalText(args, 'precision') ?? 'fp32';
  const precision = PRECISIONS.find((p) => p === text);
  if (!precision) throw new UsageError(`--precision must be ${PRECISIONS.join(' or ')}, got "${text}"`);
  return precision;
}

/** The fewest tokens a pair can have: [CLS], [SEP] and [SEP]. */
const MIN_PAIR_LENGTH = 3;

/** --max-length: the longest pair in tokens, truncated beyond (the model's own limit applies too). */
export function maxLengthOption(args: ParsedArgs): number | undefined {
  const maxLength = positiveInt(args, 'max-length');
  if (maxLength !== undefined && maxLength < MIN_PAIR_LENGTH)
    throw new UsageError(
      `--max-length must be at least ${MIN_PAIR_LENGTH} ([CLS] and two [SEP]), got ${maxLength}`,
    );
  return maxLength;
}
