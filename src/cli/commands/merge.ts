import { createAnalysis } from '../../core/analysis/registry';
import { mergeShards } from '../../core/analysis/runner';
import { onlyPositional, parseArgs } from '../args';

export const usage = `ranklens merge DIR [--json]
  Combines DIR/partials/shard-K-of-N.json (from \`ranklens analyze ... --out DIR --shard K/N\`) into
  DIR/result.json, bit-identical to a run without --shard. Fails, naming the file, when a shard is missing,
  damaged (checksum) or from another run.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], flags: ['json'] });
  const dir = onlyPositional(args, 'DIR');
  const result = await mergeShards(dir, (name, settings) => createAnalysis(name, settings));
  process.stdout.write(
    args.options.has('json')
      ? JSON.stringify(result) + '\n'
      : `merged ${result.chunks} chunks of ${result.analysis} into ${dir}/result.json\n`,
  );
  return 0;
}
