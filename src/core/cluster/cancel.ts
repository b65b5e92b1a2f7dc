import { clusterRunStatus } from './runStatus';
import type { SlurmCommands } from './slurmCommands';

/** scancel of every shard and merge job of the run that is still pending or running; returns their ids. */
export async function cancelClusterRun(resultDir: string, slurm: SlurmCommands): Promise<string[]> {
  const status = await clusterRunStatus(resultDir, slurm);
  const live = [...status.shards, status.merge]
    .filter((j) => j.phase === 'pending' || j.phase === 'running')
    .map((j) => j.jobId);
  await slurm.cancel(live);
  return live;
}
