import * as fs from 'node:fs';
import { isValidPartial } from './partials';
import { runLayout } from './runLayout';
import { latestShardJobs, readRunRecord, type RunRecord } from './runRecord';
import type { SlurmCommands } from './slurmCommands';
import { phaseOfSlurmState, type SlurmJobRecord } from './slurmState';

/** done: its partial is there and valid; failed: its job ended (or vanished) without one. */
export type ShardPhase = 'done' | 'pending' | 'running' | 'failed';

export interface ShardStatus {
  /** 1..N, as --shard k/N numbers shards. */
  readonly shard: number;
  readonly jobId: string;
  readonly phase: ShardPhase;
  /** Slurm's state and reason for the job, when Slurm still knows it. */
  readonly slurmState?: string;
  readonly reason?: string;
}

export interface MergeStatus {
  readonly jobId: string;
  /** done: result.json exists. */
  readonly phase: ShardPhase;
  readonly slurmState?: string;
  readonly reason?: string;
}

export interface ClusterRunStatus {
  readonly record: RunRecord;
  readonly shards: readonly ShardStatus[];
  readonly counts: Readonly<Record<ShardPhase, number>>;
  readonly merge: MergeStatus;
  /** The merged result file, once it exists. */
  readonly result?: string;
}

/**
 * The state of every shard of a run, from the files first (a valid partial means done, whatever Slurm says) and
 * then from Slurm: squeue for the jobs the controller still holds, sacct for older ones where the cluster keeps
 * accounting. A job neither knows, without a partial, has failed.
 */
export async function clusterRunStatus(resultDir: string, slurm: SlurmCommands): Promise<ClusterRunStatus> {
  const record = readRunRecord(resultDir);
  const shardJobs = latestShardJobs(record);
  const mergeJobId = record.submissions[record.submissions.length - 1].mergeJobId;
  const known = new Map<string, SlurmJobRecord>();
  for (const job of await slurm.queue(record.user)) known.set(job.id, job);
  const missing = [...shardJobs, mergeJobId].filter((id) => id && !known.has(id));
  for (const job of (await slurm.accounting(missing)) ?? []) if (!known.has(job.id)) known.set(job.id, job);

  const shards: ShardStatus[] = [];
  for (const [i, jobId] of shardJobs.entries()) {
    const shard = i + 1;
    const job = known.get(jobId);
    const slurmFields = job ? { slurmState: job.state, reason: job.reason } : {};
    const valid = await isValidPartial(resultDir, shard, record.shards);
    const phase: ShardPhase = valid ? 'done' : job ? unfinishedPhase(job) : 'failed';
    shards.push({ shard, jobId, phase, ...slurmFields });
  }
  const counts = { done: 0, pending: 0, running: 0, failed: 0 };
  for (const s of shards) counts[s.phase]++;

  const resultFile = runLayout(resultDir).result;
  const merged = fs.existsSync(resultFile);
  const mergeJob = known.get(mergeJobId);
  const merge: MergeStatus = {
    jobId: mergeJobId,
    phase: merged ? 'done' : mergeJob ? unfinishedPhase(mergeJob) : 'failed',
    ...(mergeJob ? { slurmState: mergeJob.state, reason: mergeJob.reason } : {}),
  };
  return { record, shards, counts, merge, ...(merged ? { result: resultFile } : {}) };
}

/** A job without its output: COMPLETED then means it finished without writing it, which is a failure too. */
function unfinishedPhase(job: SlurmJobRecord): ShardPhase {
  const phase = phaseOfSlurmState(job.state);
  return phase === 'completed' ? 'failed' : phase;
}
