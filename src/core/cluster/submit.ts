import * as fs from 'node:fs';
import * as os from 'node:os';
import { ClusterError } from './clusterError';
import type { ClusterAnalysisSpec } from './clusterSpec';
import { runLayout } from './runLayout';
import { writeRunRecord, type RunRecord, type Submission } from './runRecord';
import { renderSbatchScripts } from './sbatchScripts';
import type { SlurmCommands } from './slurmCommands';
import { validateResources } from './validateResources';

export interface SubmittedRun {
  readonly resultDir: string;
  readonly arrayJobId: string;
  readonly mergeJobId: string;
  readonly shardScript: string;
  readonly mergeScript: string;
}

/** The options that make the merge job wait for `jobs` and be cancelled (not left pending) when one of them fails. */
export function mergeDependencyArgs(jobs: readonly string[]): string[] {
  return [`--dependency=afterok:${jobs.join(':')}`, '--kill-on-invalid-dep=yes'];
}

/**
 * Submits an analysis as one array job (a task per shard) and one merge job that runs only after every shard
 * succeeded. Everything that can be checked is checked first: a bad partition, resource or time limit, or a result
 * folder that already holds a run, throws a ClusterError and nothing is submitted.
 */
export async function submitClusterAnalysis(
  spec: ClusterAnalysisSpec,
  slurm: SlurmCommands,
  now: Date = new Date(),
): Promise<SubmittedRun> {
  if (!Number.isInteger(spec.shards) || spec.shards < 1)
    throw new ClusterError(`--shards must be a positive integer, got ${spec.shards}`);
  const layout = runLayout(spec.resultDir);
  if (fs.existsSync(layout.record))
    throw new ClusterError(
      `${spec.resultDir} already holds a Slurm run: \`ranklens jobs ${spec.resultDir}\` shows it, \`ranklens resume ${spec.resultDir}\` completes it`,
    );
  if (fs.existsSync(layout.result))
    throw new ClusterError(`${layout.result} already exists: choose another --out folder`);
  slurm.requireSbatch();
  await validateResources(spec.resources, slurm);

  const scripts = renderSbatchScripts(spec, now);
  fs.mkdirSync(layout.logsDir, { recursive: true });
  fs.writeFileSync(layout.shardScript, scripts.shard, { mode: 0o755 });
  fs.writeFileSync(layout.mergeScript, scripts.merge, { mode: 0o755 });
  await slurm.testSubmission(layout.shardScript, []);

  const arrayJobId = await slurm.submit(layout.shardScript, []);
  let mergeJobId: string;
  try {
    mergeJobId = await slurm.submit(layout.mergeScript, mergeDependencyArgs([arrayJobId]));
  } catch (error) {
    // Without its merge job the array job would compute a result nobody collects.
    await slurm.cancel([arrayJobId]).catch(() => undefined);
    throw error;
  }
  const submission: Submission = {
    arrayJobId,
    shards: Array.from({ length: spec.shards }, (_, k) => k + 1),
    mergeJobId,
    submittedAt: now.toISOString(),
  };
  const record: RunRecord = {
    format: 'ranklens-slurm-run',
    version: 1,
    analysis: spec.analysis,
    shards: spec.shards,
    resultDir: spec.resultDir,
    user: os.userInfo().username,
    submissions: [submission],
  };
  writeRunRecord(record);
  return {
    resultDir: spec.resultDir,
    arrayJobId,
    mergeJobId,
    shardScript: layout.shardScript,
    mergeScript: layout.mergeScript,
  };
}
