import * as path from 'node:path';

/** Where a cluster run keeps its files inside the result folder (the partials and result.json are the runner's). */
export function runLayout(resultDir: string) {
  const slurmDir = path.join(resultDir, 'slurm');
  return {
    slurmDir,
    shardScript: path.join(slurmDir, 'shard.sbatch'),
    mergeScript: path.join(slurmDir, 'merge.sbatch'),
    record: path.join(slurmDir, 'jobs.json'),
    logsDir: path.join(slurmDir, 'logs'),
    result: path.join(resultDir, 'result.json'),
  };
}
