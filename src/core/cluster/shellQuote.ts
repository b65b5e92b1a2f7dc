import { ClusterError } from './clusterError';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for bash so that it reaches the program unchanged. */
export function shellQuote(arg: string): string {
  if (arg.length > 0 && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * An `#SBATCH` line is split by sbatch itself, not by a shell: plain words pass unchanged, words with spaces go in
 * double quotes, and characters sbatch cannot carry there are refused instead of being silently mangled.
 */
export function sbatchDirectiveWord(word: string): string {
  if (/["\\\n\r]/.test(word))
    throw new ClusterError(`cannot put ${JSON.stringify(word)} into an #SBATCH line`);
  return /\s/.test(word) ? `"${word}"` : word;
}
