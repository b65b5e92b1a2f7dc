import { defaultGraphCacheDir } from '../core/bert/cache';

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
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { options, positionals };
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
