import { readQrels, readRun } from '../../core/data';
import { evaluateRun, formatEvaluation } from '../../core/eval';
import { minRelevanceOption, parseArgs, required } from '../args';
import { checkOutputFile, writeOutputFile } from '../io';

export const usage = `ranklens eval --run RUN --qrels QRELS [--min-relevance N] [--json] [--out FILE]
  Scores a run (MS MARCO "qid pid rank", TREC 6-column, or top1000) against qrels:
  MRR@10 (official MS MARCO), nDCG@10 and Recall@100/1000 (trec_eval).`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['run', 'qrels', 'min-relevance', 'out'], flags: ['json'] });
  const [runFile, qrelsFile] = [required(args, 'run'), required(args, 'qrels')];
  const minRelevance = minRelevanceOption(args);
  const out = args.options.get('out');
  if (typeof out === 'string') await checkOutputFile(out, [runFile, qrelsFile]);
  const [run, qrels] = await Promise.all([readRun(runFile), readQrels(qrelsFile)]);
  const result = evaluateRun(run, qrels, minRelevance === undefined ? {} : { minRelevance });
  if (typeof out === 'string')
    await writeOutputFile(out, JSON.stringify(result, null, 2) + '\n', [runFile, qrelsFile]);
  process.stdout.write(
    args.options.has('json')
      ? JSON.stringify({ ...result, perQuery: undefined }, null, 2) + '\n'
      : formatEvaluation(result),
  );
  return 0;
}
