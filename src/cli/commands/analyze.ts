import * as path from 'node:path';
import type { Json } from '../../core/analysis/analysis';
import { InProcessAnalysisModel } from '../../core/analysis/inProcessModel';
import { ANALYSIS_SPECS, findAnalysisSpec } from '../../core/analysis/registry';
import { runAnalysisRequestOutcome, type AnalysisRunRequest } from '../../core/analysis/runRequest';
import { parseShard, type RunOutcome, type Shard } from '../../core/analysis/runner';
import { checkFieldValue, flagsHelp, type AnalysisSpec, type SettingField } from '../../core/analysis/spec';
import { DEFAULT_MAX_LENGTH } from '../../core/text/pair';
import { parseDevice } from '../../core/device';
import { runAnalysisRequestFile } from '../analyzeRequest';
import { analyzeModels } from '../analyzeModels';
import { takeModels } from '../modelList';
import {
  SIGNIFICANCE_USAGE,
  SIGNIFICANCE_VALUES,
  significanceFlags,
  significanceOverrides,
} from '../significanceFlags';
import { SLURM_USAGE, takeSlurmOptions } from '../slurmOptions';
import { submitAnalyzeToSlurm } from '../slurmSubmit';
import { bundledModelDir } from '../shippedFolders';
import { BUNDLED_MODEL_NAME } from '../../core/model/bundled';
import {
  UsageError,
  cacheDirOf,
  maxLengthOption,
  minRelevanceOption,
  optionalNumber,
  optionalText,
  parseArgs,
  positiveInt,
  precisionOption,
  required,
  seedOption,
  threadsOption,
  type ParsedArgs,
} from '../args';

const HELD_OUT_VALUES = ['heldout-queries', 'heldout-qrels', 'heldout-run'];

/** Words filled into lines of at most `width` characters, each line after the first indented by `indent`. */
function fill(text: string, width = 110, indent = '  '): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = indent + word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...lines, current].join('\n');
}

/** Each analysis's paragraph of the help, generated from its spec (name, flags, description). */
function analysisHelp(spec: AnalysisSpec): string {
  const flags = [
    spec.data.heldOut
      ? '--heldout-queries FILE --heldout-qrels FILE --heldout-run FILE [--heldout-sample N]'
      : '',
    flagsHelp(spec),
  ]
    .filter(Boolean)
    .join(' ');
  return `  ${fill(`${spec.name}${flags ? ` ${flags}` : ''}: ${spec.help}`, 108)}`;
}

export const usage = `ranklens analyze ${ANALYSIS_SPECS.map((s) => s.name).join('|')} --collection FILE --queries FILE --qrels FILE --run FILE --out DIR
        (rerank runs without --qrels, attention without --run; every other analysis needs both)
        [--depth N] [--sample N --seed S] [--min-relevance N] [--model DIR ...] [--max-length N] [--batch-size N]
        [--threads N] [--precision fp32|int8] [--chunk-pairs N] [--shard K/N] [--json] [--cache-dir DIR]
        [--device cpu|cuda] [--request FILE (an analysis request VS Code wrote, instead of the data options; its
        "significance" {alpha, resamples, permutations, seed} is overridden by the flags below)]
${SIGNIFICANCE_USAGE}
${SLURM_USAGE}
  Runs a dataset analysis in one process (batched, one model load) and writes DIR/result.json; finished
  chunks are cached in DIR/cache/ (a rerun or an interrupted run resumes). --shard K/N runs only shard K of N
  and writes DIR/partials/shard-K-of-N.json; \`ranklens merge DIR\` then writes DIR/result.json.
  --precision int8 (rerank only): the encoder's weight products in int8 (per output channel) with uint8
  activations (per token), for large runs; fp32 (the default) is exact. Named in result.json's model, and
  cached apart.
  Model: the bundled ${BUNDLED_MODEL_NAME} by default. --model A --model B [...]: the analysis runs with each
  model into DIR/<model folder name>/ (cached, resumable), then every other model is compared with the first on
  every per-query metric both have (paired permutation and t-tests over the queries both ran, queries
  up/down/same): the table, DIR/comparison.json and DIR/report.html with the models' curves overlaid.
${ANALYSIS_SPECS.map(analysisHelp).join('\n')}`;

const DATA_VALUES = ['collection', 'queries', 'qrels', 'run', 'depth', 'sample', 'seed', 'min-relevance'];
const RUN_VALUES = [
  'device',
  'request',
  'model',
  'max-length',
  'batch-size',
  'threads',
  'precision',
  'chunk-pairs',
  'out',
  'shard',
  'cache-dir',
];

/** One setting's flag value, parsed and checked as its field says, or undefined when not given. */
function flagValue(args: ParsedArgs, field: SettingField): number | string | true | undefined {
  const value =
    field.type === 'switch'
      ? args.options.has(field.flag)
        ? true
        : undefined
      : field.type === 'choice'
        ? optionalText(args, field.flag)
        : field.type === 'seed'
          ? seedOption(args, field.flag)
          : field.type === 'positive-int'
            ? positiveInt(args, field.flag)
            : optionalNumber(args, field.flag);
  if (value === undefined) return undefined;
  const problem = checkFieldValue(field, value);
  if (problem) throw new UsageError(`--${field.flag} ${problem}`);
  return value;
}

/** The settings the flags gave, in the schema's order; those not given are left out (the defaults apply). */
export function settingsFromFlags(spec: AnalysisSpec, args: ParsedArgs): Record<string, Json> {
  for (const { flags, message } of spec.exclusive ?? [])
    if (flags.every((flag) => args.options.has(flag))) throw new UsageError(message);
  const settings: Record<string, Json> = {};
  for (const field of spec.settings) {
    const value = flagValue(args, field);
    if (value !== undefined) settings[field.key] = field.toSetting ? field.toSetting(value) : value;
  }
  return settings;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const spec = name ? findAnalysisSpec(name) : undefined;
  if (!spec)
    throw new UsageError(
      name
        ? `unknown analysis "${name}"`
        : `which analysis? (${ANALYSIS_SPECS.map((s) => s.name).join(', ')})`,
    );
  const slurm = takeSlurmOptions(rest);
  const { models, rest: withoutModels } = takeModels(slurm.rest);
  const args = parseArgs(withoutModels, {
    values: [
      ...DATA_VALUES,
      ...RUN_VALUES,
      ...SIGNIFICANCE_VALUES,
      ...(spec.data.heldOut ? [...HELD_OUT_VALUES, 'heldout-sample'] : []),
      ...spec.settings.filter((f) => f.type !== 'switch').map((f) => f.flag),
    ],
    flags: ['json', ...spec.settings.filter((f) => f.type === 'switch').map((f) => f.flag)],
  });
  const settings = settingsFromFlags(spec, args);
  const out = required(args, 'out');
  const precision = precisionOption(args);
  if (precision !== 'fp32' && (spec.name !== 'rerank' || args.options.has('request')))
    throw new UsageError(
      `--precision ${precision} is for rerank from the data options only: the rest stays exact`,
    );
  if (models.length > 1) {
    for (const [given, what] of [
      [slurm.request, '--slurm'],
      [args.options.has('shard'), '--shard'],
      [args.options.has('request'), '--request'],
    ] as const)
      if (given) throw new UsageError(`${what} runs one model: give one --model, or run each model apart`);
    return analyzeModels({
      analysis: spec.name,
      models,
      out,
      json: args.options.has('json'),
      significance: significanceFlags(args),
      inputs: dataInputs(args),
      run: (modelDir, dir, modelName) =>
        runWithModel(spec, args, requestFromFlags(spec, args, settings, dir), modelDir, modelName),
      summary: (result) => spec.summary(result),
    });
  }
  if (slurm.request) return submitAnalyzeToSlurm(spec.name, slurm.rest, slurm.request);
  const shardText = args.options.get('shard');
  let shard;
  try {
    shard = typeof shardText === 'string' ? parseShard(shardText) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const modelDir = models[0] ?? bundledModelDir();
  const requestFile = optionalText(args, 'request');
  if (requestFile)
    return runAnalysisRequestFile({
      analysis: spec.name,
      requestFile,
      out,
      shard,
      significance: significanceOverrides(args),
      modelDir,
      threads: threadsOption(args),
      device: parseDevice(optionalText(args, 'device') ?? 'cpu'),
      cacheDir: cacheDirOf(args),
    });
  const request = requestFromFlags(spec, args, settings, out);
  const outcome = await runWithModel(spec, args, request, modelDir, undefined, shard);
  const cacheNote = `${outcome.chunksComputed} chunks computed, ${outcome.chunksReused} reused from ${path.join(out, 'cache')}`;
  if (!outcome.result) {
    process.stdout.write(`wrote ${outcome.file} (${outcome.pairs} pairs; ${cacheNote})\n`);
  } else if (args.options.has('json')) {
    process.stdout.write(JSON.stringify(outcome.result) + '\n');
  } else {
    process.stdout.write(spec.summary(outcome.result) + `wrote ${outcome.file} (${cacheNote})\n`);
  }
  return 0;
}

/** The data files the flags name (never written over). */
function dataInputs(args: ParsedArgs): string[] {
  return ['collection', 'queries', 'qrels', 'run', ...HELD_OUT_VALUES].flatMap((name) => {
    const value = optionalText(args, name);
    return value !== undefined ? [value] : [];
  });
}

/** Runs the request with the model in DIR, showing progress on a terminal. */
async function runWithModel(
  spec: AnalysisSpec,
  args: ParsedArgs,
  request: AnalysisRunRequest,
  modelDir: string,
  modelName?: string,
  shard?: Shard,
): Promise<RunOutcome> {
  const progress = process.stderr.isTTY
    ? (r: { done: number; total?: number }) =>
        process.stderr.write(`\r${spec.name}: ${r.done}/${r.total} pairs`)
    : undefined;
  const outcome = await runAnalysisRequestOutcome(
    request,
    () =>
      InProcessAnalysisModel.load(modelDir, {
        precision: precisionOption(args),
        threads: threadsOption(args),
        device: parseDevice(optionalText(args, 'device') ?? 'cpu'),
        maxLength: request.maxLength,
        cacheDir: cacheDirOf(args),
      }),
    {
      shard,
      modelName,
      onProgress: progress,
      onPairSet: (pairSet) => {
        const withoutText = pairSet.description.queriesWithoutText;
        if (!withoutText) return;
        const listedIn = request.data.qrels ? '--qrels' : '--run';
        process.stderr.write(
          `ranklens analyze ${spec.name}: analysing ${pairSet.description.queries} queries; ${withoutText} other queries of ${listedIn} have no text in --queries ${request.data.queries} and are left out\n`,
        );
      },
    },
  );
  if (progress) process.stderr.write('\n');
  return outcome;
}

/** The request the data and run flags describe (the same a palette run or `ranklens report` builds). */
function requestFromFlags(
  spec: AnalysisSpec,
  args: ParsedArgs,
  settings: Record<string, Json>,
  out: string,
): AnalysisRunRequest {
  const selection = spec.create(settings).selection;
  return {
    name: spec.name,
    settings,
    data: {
      collection: required(args, 'collection'),
      queries: required(args, 'queries'),
      // Without them an analysis has no pairs to look at or nothing to measure with: all-zero results.
      qrels: spec.data.qrels === 'optional' ? optionalText(args, 'qrels') : required(args, 'qrels'),
      run: selection === 'candidates' ? required(args, 'run') : optionalText(args, 'run'),
      depth: positiveInt(args, 'depth'),
      sample: positiveInt(args, 'sample'),
      seed: seedOption(args, 'seed'),
      minRelevance: minRelevanceOption(args),
    },
    ...(spec.data.heldOut
      ? {
          heldOut: {
            queries: required(args, 'heldout-queries'),
            qrels: required(args, 'heldout-qrels'),
            run: required(args, 'heldout-run'),
            sample: positiveInt(args, 'heldout-sample'),
          },
        }
      : {}),
    dir: out,
    maxLength: maxLengthOption(args) ?? DEFAULT_MAX_LENGTH,
    chunkPairs: positiveInt(args, 'chunk-pairs'),
    batchSize: positiveInt(args, 'batch-size'),
    significance: significanceFlags(args),
  };
}
