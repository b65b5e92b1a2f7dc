import * as fs from 'node:fs';
import type { ClusterRunStatus } from './runStatus';

function describeJob(state?: string, reason?: string): string {
  const parts = [state, reason].filter((p) => p);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The run as `ranklens jobs DIR` prints it (and VS Code shows it): one line per shard, counts, merge, result. */
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
