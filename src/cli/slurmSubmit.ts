import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterError, SlurmCommands, submitClusterAnalysis } from '../core/cluster';
import { takeOutDir, thisRanklensCommand, type SlurmRequest } from './slurmOptions';

// Options of `ranklens analyze` that name files or folders: checked here, before anything is submitted.
const PATH_OPTIONS = ['collection', 'queries', 'qrels', 'run', 'model'];

function optionValues(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === `--${name}` && i + 1 < argv.length) values.push(argv[i + 1]);
    else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  });
  return values;
}

/**
 * `ranklens analyze <analysis> … --slurm`: submits the shards and the merge job, prints the job ids and where the
 * result will be, and returns without waiting. `analyzeArgs` are the analysis options as the user gave them (the
 * analyze command has already parsed them, so they are valid); each shard gets them unchanged.
 */
export async function submitAnalyzeToSlurm(
  analysis: string,
  analyzeArgs: readonly string[],
  request: SlurmRequest,
): Promise<number> {
  const { outDir, rest } = takeOutDir(analyzeArgs);
  for (const name of PATH_OPTIONS)
    for (const value of optionValues(rest, name))
      if (!fs.existsSync(value))
        throw new ClusterError(`--${name} ${value}: no such file or folder; nothing was submitted`);
  // A shard uses the CPUs Slurm gave it, not every core of the node (which other jobs share).
  const shardArgs =
    optionValues(rest, 'threads').length > 0
      ? rest
      : [...rest, '--threads', String(request.resources.cpusPerTask)];
  const submitted = await submitClusterAnalysis(
    {
      analysis,
      analyzeArgs: shardArgs,
      resultDir: outDir,
      shards: request.shards,
      command: thisRanklensCommand(),
      workDir: process.cwd(),
      resources: request.resources,
    },
    new SlurmCommands(process.env),
  );
  const logs = path.join(outDir, 'slurm', 'logs');
  process.stdout.write(
    [
      `submitted ranklens analyze ${analysis} as ${request.shards} shards`,
      `array job ${submitted.arrayJobId} (tasks 1-${request.shards}), merge job ${submitted.mergeJobId} (runs after every shard succeeded)`,
      `scripts: ${submitted.shardScript}, ${submitted.mergeScript}; logs: ${logs}/`,
      `result: ${path.join(outDir, 'result.json')}`,
      `follow: ranklens jobs ${outDir}   (ranklens resume ${outDir} reruns failed shards; ranklens cancel ${outDir})`,
      '',
    ].join('\n'),
  );
  return 0;
}
