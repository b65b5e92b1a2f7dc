import * as fs from 'node:fs';
import * as os from 'node:os';
import { SlurmCommands, clusterRunStatus, type ClusterRunStatus } from '../../core/cluster';
import { UsageError, parseArgs } from '../args';

export const usage = `ranklens jobs [DIR] [--json]
  The Slurm run of \`ranklens analyze … --slurm --out DIR\`: each shard's job and state (done: its partial is
  there and valid; failed: its job ended without one), finished/failed counts, the merge job, and the result
  once merged. Without DIR: your RankLens jobs in the queue.`;

function describeJob(state?: string, reason?: string): string {
  const parts = [state, reason].filter((p) => p);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function formatRunStatus(status: ClusterRunStatus): string {
  const { record, counts, merge } = status;
  const width = Math.max(...status.shards.map((s) => s.jobId.length), 6);
  const lines = [
    `ranklens analyze ${record.analysis} in ${record.shards} shards: ${record.resultDir}`,
    `shard  ${'job'.padEnd(width)}  state`,
    ...status.shards.map(
      (s) =>
        `${`${s.shard}/${record.shards}`.padEnd(5)}  ${s.jobId.padEnd(width)}  ${s.phase}${describeJob(s.slurmState, s.reason)}`,
    ),
    `${counts.done} done, ${counts.running} running, ${counts.pending} pending, ${counts.failed} failed`,
    `merge job ${merge.jobId}: ${merge.phase}${describeJob(merge.slurmState, merge.reason)}`,
  ];
  if (status.result) {
    const result = JSON.parse(fs.readFileSync(status.result, 'utf8')) as {
      analysis?: string;
      data?: { queries?: number; pairs?: number };
    };
    lines.push(
      `result: ${status.result} (${result.analysis}, ${result.data?.queries} queries, ${result.data?.pairs} pairs)`,
    );
  } else if (counts.failed > 0 || merge.phase === 'failed') {
    lines.push(`ranklens resume ${record.resultDir} resubmits the failed shards and the merge`);
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], flags: ['json', 'help'] });
  if (args.options.has('help')) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [dir, ...extra] = args.positionals;
  if (extra.length > 0) throw new UsageError('give at most one DIR');
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
