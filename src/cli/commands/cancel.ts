import { SlurmCommands, cancelClusterRun } from '../../core/cluster';
import { onlyPositional, parseArgs } from '../args';

export const usage = `ranklens cancel DIR
  scancel of every shard and merge job of the Slurm run in DIR that is still pending or running.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], flags: [] });
  const dir = onlyPositional(args, 'DIR');
  const cancelled = await cancelClusterRun(dir, new SlurmCommands(process.env));
  process.stdout.write(
    cancelled.length > 0
      ? `cancelled ${cancelled.join(' ')}\n`
      : 'no job of this run is pending or running\n',
  );
  return 0;
}
