import type { ClusterAnalysisSpec } from './clusterSpec';
import { runLayout } from './runLayout';
import { sbatchDirectiveWord, shellQuote } from './shellQuote';

/**
 * The two batch scripts of a cluster run. They are complete on their own so that a user can read them and submit
 * them again by hand: `sbatch shard.sbatch` runs every shard, `sbatch --array=2,5 shard.sbatch` some of them, and
 * `sbatch --dependency=afterok:<array job id> merge.sbatch` the merge.
 */
export interface SbatchScripts {
  readonly shard: string;
  readonly merge: string;
}

export function renderSbatchScripts(spec: ClusterAnalysisSpec, createdAt: Date): SbatchScripts {
  const layout = runLayout(spec.resultDir);
  const { resources } = spec;
  const directive = (name: string, value: string | number) =>
    `#SBATCH ${sbatchDirectiveWord(`--${name}=${value}`)}`;
  const common = [
    directive('chdir', spec.workDir),
    ...(resources.partition ? [directive('partition', resources.partition)] : []),
    ...(resources.time ? [directive('time', resources.time)] : []),
    ...resources.sbatchArgs.map((a) => `#SBATCH ${sbatchDirectiveWord(a)}`),
  ];
  /** `rawTail` is shell text appended as is (to expand variables at run time). */
  const body = (argv: string[], rawTail = '') => [
    '',
    'set -euo pipefail',
    ...resources.setup,
    // exec: scancel's signal reaches ranklens itself, not only this shell.
    `exec ${[...spec.command, ...argv].map(shellQuote).join(' ')}${rawTail}`,
    '',
  ];
  const header = (what: string) => [
    '#!/bin/bash',
    `# RankLens ${what} of \`ranklens analyze ${spec.analysis}\` in ${spec.shards} shards, written ${createdAt.toISOString()}.`,
  ];
  const shardArgs = ['analyze', spec.analysis, ...spec.analyzeArgs, '--out', spec.resultDir, '--shard'];
  const shard = [
    ...header('shard job'),
    '# Every shard: sbatch shard.sbatch; some: sbatch --array=2,5 shard.sbatch (array task k runs shard k/N; ranklens',
    '# resume resubmits the shards without a valid partial).',
    directive('job-name', `ranklens-${spec.analysis}`),
    directive('array', `1-${spec.shards}`),
    directive('cpus-per-task', resources.cpusPerTask),
    ...(resources.gres ? [directive('gres', resources.gres)] : []),
    directive('output', `${layout.logsDir}/shard-%A_%a.out`),
    ...common,
    // Shards are numbered 1..N, as --shard k/N takes them: the array task id, expanded by bash at run time.
    ...body(shardArgs, ` "$SLURM_ARRAY_TASK_ID/${spec.shards}"`),
  ].join('\n');
  const merge = [
    ...header('merge job'),
    '# Runs after every shard succeeded: sbatch --dependency=afterok:<array job id> --kill-on-invalid-dep=yes merge.sbatch',
    directive('job-name', `ranklens-${spec.analysis}-merge`),
    directive('cpus-per-task', 1),
    directive('output', `${layout.logsDir}/merge-%j.out`),
    ...common,
    ...body(['merge', spec.resultDir]),
  ].join('\n');
  return { shard, merge };
}
