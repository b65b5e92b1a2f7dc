import { ClusterError } from './clusterError';
import type { SlurmResources } from './clusterSpec';
import type { SlurmCommands } from './slurmCommands';

// Slurm's --time formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours[:minutes[:seconds]].
const TIME = /^(\d+|\d+:\d+|\d+:\d+:\d+|\d+-\d+|\d+-\d+:\d+|\d+-\d+:\d+:\d+|UNLIMITED|INFINITE)$/i;

/**
 * Checks what can be checked against the cluster before anything is submitted: the partition exists, its nodes
 * offer the requested generic resource, the time limit parses. (sbatch --test-only then checks the rest.)
 */
export async function validateResources(resources: SlurmResources, slurm: SlurmCommands): Promise<void> {
  if (!Number.isInteger(resources.cpusPerTask) || resources.cpusPerTask < 1)
    throw new ClusterError(`--cpus-per-task must be a positive integer, got ${resources.cpusPerTask}`);
  if (resources.time !== undefined && !TIME.test(resources.time))
    throw new ClusterError(
      `--time ${JSON.stringify(resources.time)}: expected minutes, H:MM:SS or D-HH[:MM[:SS]] (e.g. 2:00:00)`,
    );
  const partitions = await slurm.partitions();
  if (resources.partition !== undefined) {
    for (const wanted of resources.partition.split(',')) {
      if (!partitions.includes(wanted))
        throw new ClusterError(
          `partition ${JSON.stringify(wanted)} does not exist on this cluster (partitions: ${partitions.join(', ') || 'none'}); nothing was submitted`,
        );
    }
  }
  if (resources.gres !== undefined) {
    const offered = await slurm.partitionGres(resources.partition);
    const offeredNames = new Set(offered.map((g) => g.split(':')[0]));
    for (const wanted of resources.gres.split(',')) {
      const name = wanted.replace(/^gres\//, '').split(':')[0];
      if (!offeredNames.has(name)) {
        const where = resources.partition
          ? `partition ${JSON.stringify(resources.partition)}`
          : 'the cluster';
        throw new ClusterError(
          `no node of ${where} offers the generic resource ${JSON.stringify(name)} (--gres ${resources.gres}; offered: ${offered.join(', ') || 'none'}); nothing was submitted`,
        );
      }
    }
  }
}
