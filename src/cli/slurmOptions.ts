import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SlurmResources } from '../core/cluster';
import { UsageError } from './args';

/** `ranklens analyze … --slurm …`: the shards and what to ask Slurm for. */
export interface SlurmRequest {
  readonly shards: number;
  readonly resources: SlurmResources;
}

export const SLURM_USAGE = `        [--slurm --shards N [--partition P] [--gres gpu:1] [--time 2:00:00] [--cpus-per-task N]
         [--sbatch-arg ARG]... [--setup LINE]...]
  --slurm submits the analysis to Slurm instead of running it here: one array job (task k runs --shard k/N)
  and a merge job that runs after every shard succeeded; prints the job ids and returns. The sbatch scripts
  are written to DIR/slurm/. --sbatch-arg passes one more sbatch option (e.g. --sbatch-arg=--account=ir);
  --setup adds a shell line run before ranklens in every job (e.g. --setup "module load cuda/12.4").`;

const VALUES = ['shards', 'partition', 'gres', 'time', 'cpus-per-task'];
const REPEATED = ['sbatch-arg', 'setup'];

/**
 * Takes --slurm and its options out of an analyze argument list. The rest goes, unchanged, to every shard.
 * Returns no request without --slurm (and refuses Slurm options without it).
 */
export function takeSlurmOptions(argv: readonly string[]): { request?: SlurmRequest; rest: string[] } {
  const rest: string[] = [];
  const values = new Map<string, string>();
  const repeated = new Map<string, string[]>(REPEATED.map((n) => [n, []]));
  let slurm = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [''];
    if (name === 'slurm' && inline === undefined) {
      slurm = true;
    } else if (VALUES.includes(name) || REPEATED.includes(name)) {
      // The value is the next word even when it starts with "--" (--sbatch-arg --account=ir).
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (REPEATED.includes(name)) repeated.get(name)!.push(value);
      else values.set(name, value);
    } else {
      rest.push(arg);
    }
  }
  const given = [...values.keys(), ...REPEATED.filter((n) => repeated.get(n)!.length > 0)];
  if (!slurm) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --slurm`);
    return { rest };
  }
  const positive = (name: string, fallback?: number) => {
    const text = values.get(name);
    if (text === undefined) {
      if (fallback === undefined) throw new UsageError(`--slurm needs --${name}`);
      return fallback;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  return {
    request: {
      shards: positive('shards'),
      resources: {
        partition: values.get('partition'),
        gres: values.get('gres'),
        time: values.get('time'),
        cpusPerTask: positive('cpus-per-task', 1),
        sbatchArgs: repeated.get('sbatch-arg')!,
        setup: repeated.get('setup')!,
      },
    },
    rest,
  };
}

/** Takes `--out DIR` out of an argument list (the cluster run places it itself); DIR comes back absolute. */
export function takeOutDir(argv: readonly string[]): { outDir: string; rest: string[] } {
  const rest: string[] = [];
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') outDir = argv[++i];
    else if (arg.startsWith('--out=')) outDir = arg.slice('--out='.length);
    else if (arg === '--shard' || arg.startsWith('--shard='))
      throw new UsageError('--slurm chooses the shards: drop --shard');
    else rest.push(arg);
  }
  if (!outDir) throw new UsageError('--out is required');
  return { outDir: path.resolve(outDir), rest };
}

/**
 * How a compute node starts this same ranklens: this node binary with its flags (e.g. tsx's --import) and this
 * CLI entry, by absolute path. RANKLENS_NODE overrides the node binary for clusters whose nodes keep it elsewhere.
 */
export function thisRanklensCommand(): string[] {
  const entry = process.argv[1] ? fs.realpathSync(process.argv[1]) : '';
  return [process.env.RANKLENS_NODE ?? process.execPath, ...process.execArgv, entry];
}
