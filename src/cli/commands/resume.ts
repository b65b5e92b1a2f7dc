import { SlurmCommands, formatRunStatus, resumeClusterRun } from '../../core/cluster';
import { onlyPositional, parseArgs } from '../args';

export const usage = `ranklens resume DIR
  Completes the Slurm run in DIR: resubmits only the shards without a valid partial and no live job (one array
  job from DIR/slurm/shard.sbatch) and a merge job that waits for them.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], flags: [] });
  const dir = onlyPositional(args, 'DIR');
  const outcome = await resumeClusterRun(dir, new SlurmCommands(process.env));
  if (outcome.kind === 'merged') {
    process.stdout.write(`nothing to do: ${outcome.result} is merged\n`);
  } else if (outcome.kind === 'in-progress') {
    process.stdout.write(`nothing to resubmit: no shard has failed\n${formatRunStatus(outcome.status)}`);
  } else {
    const { arrayJobId, shards, mergeJobId } = outcome.submission;
    const redo = shards.length > 0 ? `shards ${shards.join(', ')} as array job ${arrayJobId}, ` : '';
    process.stdout.write(`resubmitted ${redo}merge job ${mergeJobId}\n`);
  }
  return 0;
}
