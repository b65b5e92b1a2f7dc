import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterError } from './clusterError';
import { runLayout } from './runLayout';

/** One `sbatch` of the shard script (some or all shards) and the merge job that waits for it. */
export interface Submission {
  readonly arrayJobId: string;
  /** Shard numbers 1..N (array task ids). */
  readonly shards: readonly number[];
  readonly mergeJobId: string;
  readonly submittedAt: string;
}

/** slurm/jobs.json in the result folder: which job ran which shard, so `jobs`, `resume` and VS Code can find them. */
export interface RunRecord {
  readonly format: 'ranklens-slurm-run';
  readonly version: 1;
  readonly analysis: string;
  readonly shards: number;
  readonly resultDir: string;
  /** The user the jobs were submitted as (squeue is asked for this user's jobs). */
  readonly user: string;
  readonly submissions: readonly Submission[];
}

export function readRunRecord(resultDir: string): RunRecord {
  const file = runLayout(resultDir).record;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ClusterError(`${file}: not found: ${resultDir} holds no Slurm run of ranklens analyze --slurm`);
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    throw new ClusterError(`${file}: expected JSON, ${(error as Error).message}`);
  }
  if (!isRunRecord(record))
    throw new ClusterError(`${file}: expected a RankLens Slurm job record (format 1)`);
  return record;
}

/** Written to a temporary file and renamed over the old one, so a reader never sees half a record. */
export function writeRunRecord(record: RunRecord): void {
  const file = runLayout(record.resultDir).record;
  const temp = path.join(path.dirname(file), `.jobs.json.${process.pid}.tmp`);
  fs.writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/** The job id that ran (or runs) shard k (1..N) most recently, `<array job>_<k>`, at index k - 1. */
export function latestShardJobs(record: RunRecord): string[] {
  const ids = new Array<string>(record.shards).fill('');
  for (const s of record.submissions) for (const k of s.shards) ids[k - 1] = `${s.arrayJobId}_${k}`;
  return ids;
}

function isRunRecord(value: unknown): value is RunRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    r.format === 'ranklens-slurm-run' &&
    r.version === 1 &&
    typeof r.analysis === 'string' &&
    typeof r.resultDir === 'string' &&
    typeof r.user === 'string' &&
    Number.isInteger(r.shards) &&
    Array.isArray(r.submissions) &&
    r.submissions.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as Submission).arrayJobId === 'string' &&
        typeof (s as Submission).mergeJobId === 'string' &&
        Array.isArray((s as Submission).shards),
    )
  );
}
