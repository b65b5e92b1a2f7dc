import * as os from 'node:os';
import { SlurmCommands, clusterRunStatus, formatRunStatus } from '../../core/cluster';
import { optionalPositional, parseArgs } from '../args';

export const usage = `ranklens jobs [DIR] [--json]
  The Slurm run of \`ranklens analyze … --slurm --out DIR\`: each shard's job and state (done: its partial is
  there and valid; failed: its job ended without one), finished/failed counts, the merge job, and the result
  once merged. Without DIR: your RankLens jobs in the queue.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], flags: ['json'] });
  const dir = optionalPositional(args, 'DIR');
  const slurm = new SlurmCommands(process.env);
  if (dir === undefined) {
    const jobs = (await slurm.queue(os.userInfo().username)).filter((j) => j.name?.startsWith('ranklens-'));
    process.stdout.write(
      args.options.has('json')
        ? JSON.stringify(jobs) + '\n'
        : jobs
            .map(
              (j) => `${j.id}\t${j.name}\t${j.state}${j.reason ? ` (${j.reason})` : ''}\t${j.script ?? ''}`,
            )
            .join('\n') + (jobs.length > 0 ? '\n' : 'no RankLens jobs in the queue\n'),
    );
    return 0;
  }
  const status = await clusterRunStatus(dir, slurm);
  process.stdout.write(
    args.options.has('json') ? JSON.stringify(status, null, 1) + '\n' : formatRunStatus(status),
  );
  return 0;
}
