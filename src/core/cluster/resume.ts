import { runLayout } from './runLayout';
import { writeRunRecord, type Submission } from './runRecord';
import { clusterRunStatus, type ClusterRunStatus } from './runStatus';
import type { SlurmCommands } from './slurmCommands';
import { mergeDependencyArgs } from './submit';

export type ResumeOutcome =
  | { readonly kind: 'merged'; readonly result: string }
  | { readonly kind: 'in-progress'; readonly status: ClusterRunStatus }
  | { readonly kind: 'resubmitted'; readonly submission: Submission };

/**
 * Completes a run: resubmits, as one array job from the run's own shard script, exactly the shards that have no
 * valid partial and no live job, and a new merge job that waits for them and for the shards still running. A shard
 * killed while writing left no valid partial (the runner writes atomically, with a checksum), so it is redone.
 */
export async function resumeClusterRun(
  resultDir: string,
  slurm: SlurmCommands,
  now: Date = new Date(),
): Promise<ResumeOutcome> {
  const status = await clusterRunStatus(resultDir, slurm);
  if (status.result) return { kind: 'merged', result: status.result };
  const redo = status.shards.filter((s) => s.phase === 'failed').map((s) => s.shard);
  const live = status.shards
    .filter((s) => s.phase === 'pending' || s.phase === 'running')
    .map((s) => s.jobId);
  const mergeLive = status.merge.phase === 'pending' || status.merge.phase === 'running';
  if (redo.length === 0 && mergeLive) return { kind: 'in-progress', status };

  slurm.requireSbatch();
  const layout = runLayout(resultDir);
  // The old merge job waits on a failed shard: it would never run.
  if (mergeLive) await slurm.cancel([status.merge.jobId]);
  const arrayJobId =
    redo.length > 0 ? await slurm.submit(layout.shardScript, [`--array=${redo.join(',')}`]) : '';
  const waitFor = [...(arrayJobId ? [arrayJobId] : []), ...live];
  let mergeJobId: string;
  try {
    mergeJobId = await slurm.submit(
      layout.mergeScript,
      waitFor.length > 0 ? mergeDependencyArgs(waitFor) : [],
    );
  } catch (error) {
    if (arrayJobId) await slurm.cancel([arrayJobId]).catch(() => undefined);
    throw error;
  }
  const submission: Submission = { arrayJobId, shards: redo, mergeJobId, submittedAt: now.toISOString() };
  writeRunRecord({ ...status.record, submissions: [...status.record.submissions, submission] });
  return { kind: 'resubmitted', submission };
}
