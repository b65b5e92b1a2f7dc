import {
  attribute,
  BASELINES,
  DEFAULT_TOLERANCE,
  type AttributionResult,
  type Baseline,
} from '../../core/attribution';
import { BertGradientModel } from '../../core/bert/gradientModel';
import { CollectionIndex, DataError, readQueries } from '../../core/data';
import { encodePair, loadTokenizer } from '../../core/text';
import {
  UsageError,
  maxLengthOption,
  optionalNumber,
  optionalText,
  parseArgs,
  positiveInt,
  required,
  threadsOption,
  type ParsedArgs,
} from '../args';
import { reportingErrors } from '../io';
import { bundledModelDir } from '../shippedFolders';
import { parseLayers } from '../maskFlags';
import { pairJson } from '../modelPair';

export const usage = `ranklens attribute [--model DIR] (--query TEXT | --queries FILE --qid ID)
        (--passage TEXT | --collection FILE --pid ID) [--layers all|N|N-M[,..]]
        [--baseline empty-query|empty-document|both] [--tolerance 0.05] [--max-points N] [--json]
        [--max-length N] [--threads N] [--batch-size N]
  Integrated Gradients of the score at hidden layers (0 = embedding output, L = after the last layer),
  from the pair with its query (empty-query) or passage (empty-document) WordPieces replaced by [PAD].
  Attribution per token = (x - x') . mean gradient over the path, summed over hidden units. The path is
  integrated with Simpson panels (3 points first), split where the path turns, until
  |sum - (F(x) - F(x'))| / |F(x) - F(x')| is within the tolerance; each result
  reports the error reached and the points used, and a warning names those that did not converge within
  --max-points (default 513).`;

const VALUES = [
  'model',
  'query',
  'passage',
  'queries',
  'qid',
  'collection',
  'pid',
  'layers',
  'baseline',
  'tolerance',
  'max-points',
  'max-length',
  'threads',
  'batch-size',
] as const;

function parseBaselines(text: string | true | undefined): Baseline[] {
  if (text === undefined || text === 'both') return BASELINES.slice();
  if (typeof text === 'string' && (BASELINES as readonly string[]).includes(text)) return [text as Baseline];
  throw new UsageError(`--baseline must be empty-query, empty-document or both, got ${String(text)}`);
}

/** --query, or --qid looked up in --queries (qid TAB text). */
async function queryOf(args: ParsedArgs): Promise<string> {
  const text = args.options.get('query');
  if (typeof text === 'string') return text;
  if (!args.options.has('qid')) throw new UsageError('give --query TEXT, or --queries FILE with --qid ID');
  const [file, qid] = [required(args, 'queries'), required(args, 'qid')];
  const found = (await readQueries(file)).texts.get(qid);
  if (found === undefined) throw new DataError(file, undefined, `a line for qid ${qid}`, 'no such qid');
  return found;
}

/** --passage, or --pid looked up in --collection (pid TAB text). */
async function passageOf(args: ParsedArgs): Promise<string> {
  const text = args.options.get('passage');
  if (typeof text === 'string') return text;
  if (!args.options.has('pid'))
    throw new UsageError('give --passage TEXT, or --collection FILE with --pid ID');
  const [file, pid] = [required(args, 'collection'), required(args, 'pid')];
  const found = await (await CollectionIndex.open(file)).get(pid);
  if (found === undefined) throw new DataError(file, undefined, `a line for pid ${pid}`, 'no such pid');
  return found.text;
}

function formatText(result: AttributionResult): string {
  const lines = [`score ${result.score.toFixed(6)}`];
  for (const entry of result.layers) {
    const status = entry.converged ? '' : `  NOT CONVERGED (tolerance ${result.tolerance})`;
    lines.push(
      '',
      `layer ${entry.layer}, baseline ${entry.baseline}: F(x) ${entry.scoreInput.toFixed(6)}, ` +
        `F(x') ${entry.scoreBaseline.toFixed(6)}, sum ${entry.sum.toFixed(6)}, ` +
        `completeness error ${(100 * entry.completenessError).toFixed(2)}% with ${entry.points} points${status}`,
    );
    result.tokens.forEach((t, i) => {
      const value = entry.attributions[i];
      lines.push(
        `  ${String(i).padStart(4)}  ${t.kind.padEnd(6)} ${t.text.padEnd(16)} ${value >= 0 ? ' ' : ''}${value.toFixed(6)}`,
      );
    });
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: VALUES, flags: ['json'] });
  const modelDir = optionalText(args, 'model') ?? bundledModelDir();
  const [query, passage] = [await queryOf(args), await passageOf(args)];
  const layersText = args.options.get('layers');
  const layers = typeof layersText === 'string' ? parseLayers(layersText) : 'all';
  const baselines = parseBaselines(args.options.get('baseline'));
  const tolerance = optionalNumber(args, 'tolerance') ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0)) throw new UsageError('--tolerance must be positive');
  const maxPoints = positiveInt(args, 'max-points');
  const maxLength = maxLengthOption(args);
  const threads = threadsOption(args);
  const batchSize = positiveInt(args, 'batch-size');
  return reportingErrors('attribute', async () => {
    const model = await BertGradientModel.load(modelDir, { threads, batchSize });
    try {
      const tokenizer = loadTokenizer(modelDir);
      if (tokenizer.padId === undefined) throw new Error(`${modelDir}: the vocabulary has no [PAD] token`);
      const length = Math.min(maxLength ?? 256, model.config.maxPositions);
      const pair = encodePair(tokenizer, query, passage, { maxLength: length });
      const [result] = await attribute(model, [pair], baselines, {
        layers,
        tolerance,
        maxPoints,
        batchSize,
        padId: tokenizer.padId,
        onProgress: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rintegrated ${done}/${total}`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const missed = result.layers.filter((e) => !e.converged);
      if (missed.length > 0) {
        const list = missed.map(
          (e) => `layer ${e.layer} ${e.baseline} (${(100 * e.completenessError).toFixed(2)}%)`,
        );
        process.stderr.write(
          `warning: completeness tolerance ${tolerance} not reached for ${list.join(', ')}\n`,
        );
      }
      if (args.options.has('json')) {
        const body = {
          ...pairJson(pair),
          score: result.score,
          tolerance: result.tolerance,
          layers: result.layers.map((e) => ({
            layer: e.layer,
            baseline: e.baseline,
            score_input: e.scoreInput,
            score_baseline: e.scoreBaseline,
            sum: e.sum,
            completeness_error: e.completenessError,
            convergence_delta: e.convergenceDelta,
            points: e.points,
            converged: e.converged,
            attributions: e.attributions,
          })),
        };
        process.stdout.write(JSON.stringify(body, null, 2) + '\n');
      } else {
        process.stdout.write(formatText(result));
      }
      return 0;
    } finally {
      await model.dispose();
    }
  });
}
