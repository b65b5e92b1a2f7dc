import * as path from 'node:path';
import { describeModel, type AnyAnalysis, type Json } from '../../core/analysis/analysis';
import { createAnalysisContext } from '../../core/analysis/context';
import type { AttributionAnalysisResult } from '../../core/analysis/attribution/layerAttribution';
import { InProcessAnalysisModel } from '../../core/analysis/inProcessModel';
import { loadPairSet, type PairSet, type PairSetSpec } from '../../core/analysis/pairSet';
import { concatPairSets } from '../../core/analysis/probingAnalysis';
import type { ProbingResult } from '../../core/analysis/probing';
import { PROBE_GROUP_LABELS } from '../../core/analysis/tokenGroups';
import { createAnalysis } from '../../core/analysis/registry';
import type { AttentionResult } from '../../core/analysis/attention';
import type { InteractionResult } from '../../core/analysis/interactionMask';
import type { HeadImportanceResult } from '../../core/analysis/headImportance';
import type { PeriodMaskResult } from '../../core/analysis/periodMask';
import type { RerankResult } from '../../core/analysis/rerank';
import {
  checkOutputFolder,
  modelKey,
  outputNames,
  parseShard,
  runAnalysis,
  type ResultFile,
} from '../../core/analysis/runner';
import { DEFAULT_MAX_LENGTH } from '../../core/text/pair';
import { describeComparison, formatInterval, type PairedComparison } from '../../core/eval/significance';
import { parseDevice } from '../../core/device';
import { runAnalysisRequestFile } from '../analyzeRequest';
import { SIGNIFICANCE_USAGE, SIGNIFICANCE_VALUES, significanceFlags } from '../significanceFlags';
import { SLURM_USAGE, takeSlurmOptions } from '../slurmOptions';
import { submitAnalyzeToSlurm } from '../slurmSubmit';
import { bundledModelDir } from '../shippedFolders';
import {
  UsageError,
  cacheDirOf,
  maxLengthOption,
  minRelevanceOption,
  optionalNumber,
  optionalText,
  parseArgs,
  positiveInt,
  required,
  seedOption,
  threadsOption,
  type ParsedArgs,
} from '../args';

export const usage = `ranklens analyze rerank|attention|period-mask|interaction-mask|head-importance|attribution|probing --collection FILE --queries FILE --qrels FILE --run FILE --out DIR
        (rerank runs without --qrels, attention without --run; every other analysis needs both)
        [--depth N] [--sample N --seed S] [--min-relevance N] [--model DIR] [--max-length N] [--batch-size N]
        [--threads N] [--chunk-pairs N] [--shard K/N] [--fusion-weight W] [--json] [--cache-dir DIR]
        [--device cpu|cuda] [--request FILE (an analysis request VS Code wrote, instead of the data options)]
${SIGNIFICANCE_USAGE}
${SLURM_USAGE}
  Runs a dataset analysis in one process (batched, one model load) and writes DIR/result.json; finished
  chunks are cached in DIR/cache/ (a rerun or an interrupted run resumes). --shard K/N runs only shard K of N
  and writes DIR/partials/shard-K-of-N.json; \`ranklens merge DIR\` then writes DIR/result.json.
  rerank: scores the run's top --depth candidates, writes DIR/rerank.trec, rerank.tsv (MS MARCO) and
  fused.trec, and evaluates run, model and fusion (w = --fusion-weight, default 0.5, fixed; the result's
  sweep over w is in-sample: choose w on a validation set). Model: the bundled ranklens-mini by default.
  attention: Figure 1 over relevant pairs (the run's top --depth when --run is given): attention mass to [CLS],
  [SEP]s, periods, query/document blocks per layer and head, with the uniform-attention chance level.
  period-mask: Table 1 (only relevant passages modified: periods as commas, token mask, attention mask).
  interaction-mask [--mask-kind attention|token]: Figure 4, MRR@10 with query -> doc, doc -> query and both
  masked in the first i layers, i = 0..L (query side: [CLS], query, middle [SEP]; document side: passage,
  final [SEP]); masked prefixes are shared between depths.
  head-importance: MRR@10 and mean score change with each head masked alone (L x H grid).
  attribution [--top-k K | --threshold P] [--pairs-per-query N] [--tolerance T] [--max-points N]: layer-wise
  IG (empty-query and empty-document baselines) of the relevant pairs the model ranks in its top K (1-label
  models, default 10) or scores above P (2-label, default 0.5); per layer the share on [CLS], [SEP], query,
  document, periods and the completeness errors.
  probing --heldout-queries FILE --heldout-qrels FILE --heldout-run FILE [--heldout-sample N]
  [--pooling states|logits] [--epochs N] [--learning-rate LR] [--probe-seed S] [--shuffle-labels]: MLP probes
  per layer and token group trained on the dataset options' queries, MRR@10 on the held-out queries.`;

const DATA_VALUES = ['collection', 'queries', 'qrels', 'run', 'depth', 'sample', 'seed', 'min-relevance'];
const RUN_VALUES = [
  'device',
  'request',
  'model',
  'max-length',
  'batch-size',
  'threads',
  'chunk-pairs',
  'out',
  'shard',
  'cache-dir',
];

/** Options and summaries of each analysis on the command line. */
interface AnalysisCli {
  readonly values: readonly string[];
  /** Runs without judgements (rerank: a re-ranked run, no metrics); every other analysis measures with them. */
  readonly qrelsOptional?: boolean;
  readonly flags?: readonly string[];
  settings(args: ParsedArgs): Json;
  summary(result: ResultFile): string;
  /**
   * Loads the pair set another way than from the dataset options alone (probing: training + held-out
   * queries) and completes the settings with what it found.
   */
  prepare?(
    args: ParsedArgs,
    spec: PairSetSpec,
    settings: Json,
  ): Promise<{ pairSet: PairSet; settings: Json }>;
}

const HELD_OUT_VALUES = ['heldout-queries', 'heldout-qrels', 'heldout-run'];

/** The held-out pair set of probing: --heldout-queries/--heldout-qrels/--heldout-run, else an error. */
async function heldOutPairSet(args: ParsedArgs, spec: PairSetSpec): Promise<PairSet> {
  return loadPairSet({
    ...spec,
    queries: required(args, 'heldout-queries'),
    qrels: required(args, 'heldout-qrels'),
    run: required(args, 'heldout-run'),
    sample: positiveInt(args, 'heldout-sample'),
  });
}

/** The settings the options gave, in this order; those not given are left out (the analysis' defaults apply). */
function givenSettings(settings: Record<string, Json | undefined>): Record<string, Json> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Record<
    string,
    Json
  >;
}

/** "*" after a value whose paired test against the baseline is significant. */
function significanceMark(c: PairedComparison | null): string {
  return c?.significant ? '*' : ' ';
}

const halfWidth = (i: { lower: number; upper: number }) => (i.upper - i.lower) / 2;

function fixed(values: readonly number[], digits = 3): string {
  return values.map((v) => v.toFixed(digits).padStart(digits + 4)).join('');
}

const CLI: Readonly<Record<string, AnalysisCli>> = {
  attribution: {
    values: ['tolerance', 'top-k', 'threshold', 'pairs-per-query', 'max-points'],
    settings: (args) => {
      const tolerance = optionalNumber(args, 'tolerance');
      const topK = positiveInt(args, 'top-k');
      const threshold = optionalNumber(args, 'threshold');
      if (topK !== undefined && threshold !== undefined)
        throw new UsageError('give --top-k (rank selection) or --threshold (score selection), not both');
      return givenSettings({
        tolerance,
        selection:
          topK !== undefined
            ? { kind: 'rank', topK }
            : threshold !== undefined
              ? { kind: 'probability', threshold }
              : undefined,
        pairsPerQuery: positiveInt(args, 'pairs-per-query'),
        maxPoints: positiveInt(args, 'max-points'),
      });
    },
    summary: (file) => {
      const r = file.result as unknown as AttributionAnalysisResult;
      const lines = [
        `attributed ${r.attributedPairs} of ${r.relevantPairs} relevant pairs (${r.queries} queries) with ${file.model.name}; share = mean group attribution / mean (F(x) - F(x'))`,
      ];
      for (const b of r.baselines) {
        lines.push(`${b.baseline}: layer  [CLS]  [SEP]  query    doc periods  completeness (median, max)`);
        for (const l of b.layers) {
          const s = l.share;
          lines.push(
            `${' '.repeat(b.baseline.length)}  ${String(l.layer).padStart(5)}${fixed([s.cls, s.sep, s.query, s.document, s.period])}  ${l.completeness.median.toExponential(1)}, ${l.completeness.max.toExponential(1)}`,
          );
        }
      }
      return lines.join('\n') + '\n';
    },
  },
  probing: {
    values: [...HELD_OUT_VALUES, 'heldout-sample', 'pooling', 'epochs', 'learning-rate', 'probe-seed'],
    flags: ['shuffle-labels'],
    settings: (args) => {
      const pooling = optionalText(args, 'pooling');
      if (pooling !== undefined && pooling !== 'states' && pooling !== 'logits')
        throw new UsageError('--pooling must be states or logits');
      return givenSettings({
        pooling,
        epochs: positiveInt(args, 'epochs'),
        learningRate: optionalNumber(args, 'learning-rate'),
        seed: seedOption(args, 'probe-seed'),
        shuffleLabels: args.options.has('shuffle-labels') ? true : undefined,
      });
    },
    prepare: async (args, spec, settings) => {
      const train = await loadPairSet(spec);
      const heldOut = await heldOutPairSet(args, spec);
      return {
        pairSet: concatPairSets(train, heldOut),
        settings: { ...(settings as Record<string, Json>), heldOut: heldOut.items.map((i) => i.qid) },
      };
    },
    summary: (file) => {
      const r = file.result as unknown as ProbingResult;
      const lines = [
        `probes trained on ${r.trainPairs} pairs (${r.trainQueries} queries, ${r.trainPositives} relevant), MRR@10 on ${r.evalPairs} held-out pairs (${r.evalQueries} queries); chance ${r.chanceMrr.toFixed(3)}`,
        `${'group'.padEnd(18)} ${[...Array(r.layers + 1).keys()].map((l) => `L${l}`.padStart(6)).join('')}`,
      ];
      for (const g of r.groups) lines.push(`${PROBE_GROUP_LABELS[g.group].padEnd(18)} ${fixed(g.mrr)}`);
      return lines.join('\n') + '\n';
    },
  },
  rerank: {
    values: ['fusion-weight'],
    qrelsOptional: true,
    settings: (args) => {
      const w = optionalNumber(args, 'fusion-weight');
      if (w !== undefined && !(w >= 0 && w <= 1))
        throw new UsageError('--fusion-weight must be within [0, 1]');
      return givenSettings({ fusionWeight: w });
    },
    summary: (file) => {
      const r = file.result as unknown as RerankResult;
      const lines = [
        `re-ranked ${file.data.queries} queries, ${file.data.pairs} pairs with ${file.model.name}`,
      ];
      if (r.metrics) {
        const row = (label: string, m: NonNullable<RerankResult['metrics']>['run']) =>
          `${label.padEnd(26)} MRR@10 ${m.mrr10.toFixed(4)} ${formatInterval(m.intervals.mrr10)}  nDCG@10 ${m.ndcg10.toFixed(4)} ${formatInterval(m.intervals.ndcg10)}`;
        lines.push(
          `relevant = grade >= ${r.minRelevance}; ${r.metrics.model.queriesJudged} judged queries`,
          row('input run', r.metrics.run),
          row('model', r.metrics.model),
          row(`fused (w = ${r.fusion.weight})`, r.metrics.fused),
        );
        if (r.comparisons) {
          for (const [label, c] of [
            ['model', r.comparisons.model],
            ['fused', r.comparisons.fused],
          ] as const) {
            lines.push(
              `${label} vs input run, MRR@10:  ${describeComparison(c.mrr10)}`,
              `${label} vs input run, nDCG@10: ${describeComparison(c.ndcg10)}`,
            );
          }
        }
        if (r.significance) lines.push(r.significance.method);
      }
      return lines.join('\n') + '\n';
    },
  },
  attention: {
    values: [],
    settings: () => ({}),
    summary: (file) => {
      const r = file.result as unknown as AttentionResult;
      const shown = [
        'toCls',
        'toSep',
        'toPeriods',
        'queryToQuery',
        'queryToDocument',
        'documentToQuery',
        'documentToDocument',
      ] as const;
      const header = ['layer', '[CLS]', '[SEP]', 'periods', 'q->q', 'q->d', 'd->q', 'd->d'];
      const cell = (v: number) => v.toFixed(3).padStart(8);
      const lines = [
        `${r.pairs} relevant pairs; mean over heads of the mean attention mass (A -> B: B's tokens attending to A's)`,
        header.map((h) => h.padStart(8)).join(''),
        ...Array.from(
          { length: r.numLayers },
          (_, l) =>
            String(l + 1).padStart(8) + shown.map((n) => cell(r.statistics[n].meanOverHeads[l])).join(''),
        ),
        'chance'.padStart(8) + shown.map((n) => cell(r.statistics[n].chance)).join(''),
        '± max'.padStart(8) +
          shown
            .map((n) => cell(Math.max(0, ...r.statistics[n].meanOverHeadsIntervals.map(halfWidth))))
            .join(''),
        `± max: the widest half 95% interval over layers (${r.significance.method})`,
      ];
      return lines.join('\n') + '\n';
    },
  },
  'period-mask': {
    values: [],
    settings: () => ({}),
    summary: (file) => {
      const r = file.result as unknown as PeriodMaskResult;
      const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
      return (
        [
          `${r.queries} queries, ${r.modifiedPassages} relevant passages modified (${r.modifiedWithoutPeriods} have no period)`,
          `original                   MRR@10 ${r.original.mrr10.toFixed(4)} ${formatInterval(r.original.interval)}`,
          ...r.settings.flatMap((s) => [
            `${s.setting.padEnd(26)} MRR@10 ${s.mrr10.toFixed(4)} ${formatInterval(s.comparison.treatment)} (${pct(s.relativeChange)})`,
            `${''.padEnd(26)} vs original: ${describeComparison(s.comparison)}`,
          ]),
          r.significance.method,
        ].join('\n') + '\n'
      );
    },
  },
  'interaction-mask': {
    values: ['mask-kind'],
    settings: (args) => {
      const kind = optionalText(args, 'mask-kind');
      if (kind !== undefined && kind !== 'attention' && kind !== 'token')
        throw new UsageError('--mask-kind must be attention (the paper) or token');
      return givenSettings({ kind });
    },
    summary: (file) => {
      const r = file.result as unknown as InteractionResult;
      const L = file.model.numLayers;
      const lines = [
        `${r.queries} queries; MRR@10 with interactions masked (${r.kind} mask) in the first i layers; ${r.rule}`,
        'i'.padStart(20) + Array.from({ length: L + 1 }, (_, i) => String(i).padStart(7)).join(''),
        ...Object.entries(r.directions).map(
          ([name, d]) =>
            name.padStart(20) +
            d.mrr10.map((v, i) => (v.toFixed(4) + significanceMark(d.vsUnmasked[i])).padStart(7)).join(''),
        ),
        `* differs from i = 0 at p < ${r.significance.alpha} (paired permutation test over queries):`,
        ...Object.entries(r.directions).flatMap(([name, d]) =>
          d.vsUnmasked.flatMap((c, i) => (c ? [`${name} i=${i}: ${describeComparison(c)}`] : [])),
        ),
        r.significance.method,
      ];
      return lines.join('\n') + '\n';
    },
  },
  'head-importance': {
    values: [],
    settings: () => ({}),
    summary: (file) => {
      const r = file.result as unknown as HeadImportanceResult;
      const rows = r.heads.map(
        (heads, l) =>
          `layer ${String(l + 1).padStart(2)}: ` +
          heads.map((h) => (h.deltaMrr10.toFixed(3) + significanceMark(h.comparison)).padStart(7)).join(' '),
      );
      const significant = r.heads.flatMap((heads, l) =>
        heads.flatMap((h, head) =>
          h.comparison.significant
            ? [`layer ${l + 1} head ${head + 1}: ${describeComparison(h.comparison)}`]
            : [],
        ),
      );
      const tests = r.heads.length * (r.heads[0]?.length ?? 0);
      return (
        [
          `unmasked MRR@10 ${r.unmasked.mrr10.toFixed(4)} ${formatInterval(r.unmasked.interval)} over ${r.queries} queries; change in MRR@10 with one head masked (layers 1..L, heads 1..H from the left):`,
          ...rows,
          `* p < ${r.significance.alpha} against unmasked (paired permutation test over queries, uncorrected for the ${tests} tests)` +
            (significant.length === 0 ? ': none.' : ':'),
          ...significant,
          r.significance.method,
        ].join('\n') + '\n'
      );
    },
  },
};

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cli = name ? CLI[name] : undefined;
  if (!cli)
    throw new UsageError(
      name ? `unknown analysis "${name}"` : `which analysis? (${Object.keys(CLI).join(', ')})`,
    );
  const slurm = takeSlurmOptions(rest);
  const args = parseArgs(slurm.rest, {
    values: [...DATA_VALUES, ...RUN_VALUES, ...SIGNIFICANCE_VALUES, ...cli.values],
    flags: ['json', ...(cli.flags ?? [])],
  });
  const settings = cli.settings(args);
  const significance = significanceFlags(args);
  const out = required(args, 'out');
  if (slurm.request) return submitAnalyzeToSlurm(name, slurm.rest, slurm.request);
  const shardText = args.options.get('shard');
  let shard;
  try {
    shard = typeof shardText === 'string' ? parseShard(shardText) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const modelDir = optionalText(args, 'model') ?? bundledModelDir();
  const requestFile = optionalText(args, 'request');
  if (requestFile)
    return runAnalysisRequestFile({
      analysis: name,
      requestFile,
      out,
      shard,
      modelDir,
      threads: threadsOption(args),
      device: parseDevice(optionalText(args, 'device') ?? 'cpu'),
      cacheDir: cacheDirOf(args),
    });
  const maxLength = maxLengthOption(args) ?? DEFAULT_MAX_LENGTH;
  const planned = createAnalysis(name, settings);
  const spec: PairSetSpec = {
    collection: required(args, 'collection'),
    queries: required(args, 'queries'),
    // Without them an analysis has no pairs to look at or nothing to measure with: all-zero results.
    qrels: cli.qrelsOptional ? optionalText(args, 'qrels') : required(args, 'qrels'),
    run: planned.selection === 'candidates' ? required(args, 'run') : optionalText(args, 'run'),
    selection: planned.selection,
    depth: positiveInt(args, 'depth'),
    sample: positiveInt(args, 'sample'),
    seed: seedOption(args, 'seed'),
    minRelevance: minRelevanceOption(args),
  };
  const inputs = [
    spec.collection,
    spec.queries,
    spec.qrels,
    spec.run,
    ...HELD_OUT_VALUES.map((v) => optionalText(args, v)),
  ].filter((file): file is string => file !== undefined);
  await checkOutputFolder(out, outputNames(planned, shard), inputs);
  const prepared = cli.prepare
    ? await cli.prepare(args, spec, settings)
    : { pairSet: await loadPairSet(spec), settings };
  const { pairSet } = prepared;
  const withoutText = pairSet.description.queriesWithoutText;
  if (withoutText) {
    const listedIn = spec.qrels ? '--qrels' : '--run';
    process.stderr.write(
      `ranklens analyze ${name}: analysing ${pairSet.description.queries} queries; ${withoutText} other queries of ${listedIn} have no text in --queries ${spec.queries} and are left out\n`,
    );
  }
  const analysis: AnyAnalysis = createAnalysis(name, prepared.settings);
  const ranker = await InProcessAnalysisModel.load(modelDir, {
    threads: threadsOption(args),
    device: parseDevice(optionalText(args, 'device') ?? 'cpu'),
    maxLength,
    cacheDir: cacheDirOf(args),
  });
  try {
    const length = Math.min(maxLength, ranker.info.maxLength);
    const progress = process.stderr.isTTY
      ? (r: { done: number; total?: number }) => process.stderr.write(`\r${name}: ${r.done}/${r.total} pairs`)
      : undefined;
    const outcome = await runAnalysis(
      analysis,
      pairSet,
      createAnalysisContext(ranker, modelDir, length, positiveInt(args, 'batch-size')),
      {
        dir: out,
        model: describeModel(ranker.info, path.basename(path.resolve(modelDir))),
        modelKey: modelKey(ranker.info, length),
        shard,
        chunkPairs: positiveInt(args, 'chunk-pairs'),
        significance,
        onProgress: progress,
      },
    );
    if (progress) process.stderr.write('\n');
    const cacheNote = `${outcome.chunksComputed} chunks computed, ${outcome.chunksReused} reused from ${path.join(out, 'cache')}`;
    if (!outcome.result) {
      process.stdout.write(`wrote ${outcome.file} (${outcome.pairs} pairs; ${cacheNote})\n`);
    } else if (args.options.has('json')) {
      process.stdout.write(JSON.stringify(outcome.result) + '\n');
    } else {
      process.stdout.write(cli.summary(outcome.result) + `wrote ${outcome.file} (${cacheNote})\n`);
    }
    return 0;
  } finally {
    await ranker.dispose();
  }
}
