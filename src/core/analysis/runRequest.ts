import * as path from 'node:path';
import { describeModel, type Json } from './analysis';
import { createAnalysisContext } from './context';
import { concatPairSets, loadPairSet, type PairSet, type PairSetSpec } from './pairSet';
import { analysisSpec } from './registry';
import {
  checkOutputFolder,
  modelKey,
  outputNames,
  runAnalysis,
  type ResultFile,
  type RunOutcome,
  type Shard,
} from './runner';
import type { SignificanceOptions } from '../eval/significance';
import type { ProgressReport } from '../progress';
import type { Scorer } from '../runtime/types';

/**
 * One dataset analysis as plain data, so it can be sent to the ranker worker (the extension host never runs
 * inference) or written for a Slurm job: which analysis, its settings, the dataset files and sample, and the
 * output folder. The CLI's flags, `ranklens report`, the palette and the benchmarks all build one of these.
 */
export interface AnalysisRunRequest {
  readonly name: string;
  readonly settings: Json;
  readonly data: Omit<PairSetSpec, 'selection'>;
  /** Probing: the held-out queries (the `data` queries are the training ones). */
  readonly heldOut?: {
    readonly queries: string;
    readonly qrels: string;
    readonly run: string;
    readonly sample?: number;
  };
  /** DIR/result.json and DIR/cache/ (a rerun reuses finished chunks). */
  readonly dir: string;
  readonly maxLength: number;
  readonly chunkPairs?: number;
  /** Pairs per onnxruntime call; part of every chunk's cache key (padding changes float32 rounding). */
  readonly batchSize?: number;
  /** The intervals' and paired tests' α, resamples and seed (default: significance.ts's). */
  readonly significance?: SignificanceOptions;
}

/** The model an analysis runs on: a Scorer, plus IG and hidden states for the analyses that use them. */
export type RequestModel = Scorer;

export interface RunRequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (report: ProgressReport) => void;
  /** Only this shard: writes its partial instead of result.json (`ranklens analyze --shard K/N`). */
  readonly shard?: Shard;
  /** The model's name in the result file (default: the base name of its folder). */
  readonly modelName?: string;
  /** Told the pair set once the model and tokenizer are loaded, before the first chunk (the CLI says which queries it leaves out). */
  readonly onPairSet?: (pairSet: PairSet) => void;
}

export async function runAnalysisRequest(
  request: AnalysisRunRequest,
  model: RequestModel,
  options: RunRequestOptions = {},
): Promise<ResultFile> {
  return (await runAnalysisRequestOutcome(request, model, options)).result!;
}

/**
 * The one way every front end runs an analysis: the output folder checked against the inputs, the pair set loaded
 * (for probing: training then held-out queries, with the held-out qids added to the settings), then the runner.
 * `model` may be a loader, called once the data is read (the CLI reports bad data before loading a model) and
 * disposed of afterwards. Returns the runner's outcome (the result only without a shard).
 */
export async function runAnalysisRequestOutcome<M extends RequestModel & { dispose?(): Promise<void> }>(
  request: AnalysisRunRequest,
  model: M | (() => Promise<M>),
  options: RunRequestOptions = {},
): Promise<RunOutcome> {
  const spec = analysisSpec(request.name);
  const selection = spec.create(request.settings).selection;
  const files: PairSetSpec = { ...request.data, selection };
  const inputs = [files.collection, files.queries, files.qrels, files.run, request.heldOut?.queries]
    .concat(request.heldOut ? [request.heldOut.qrels, request.heldOut.run] : [])
    .filter((file): file is string => file !== undefined);
  await checkOutputFolder(request.dir, outputNames(spec.create(request.settings), options.shard), inputs);
  const { pairSet, settings } = await loadRequestPairSet(request, files, options.signal);
  const loaded = typeof model === 'function' ? await model() : model;
  try {
    const maxLength = Math.min(request.maxLength, loaded.info.maxLength);
    const context = createAnalysisContext(loaded, loaded.info.dir, maxLength, request.batchSize);
    options.onPairSet?.(pairSet);
    return await runAnalysis(spec.create(settings), pairSet, context, {
      dir: request.dir,
      model: describeModel(loaded.info, options.modelName ?? path.basename(path.resolve(loaded.info.dir))),
      modelKey: modelKey(loaded.info, maxLength),
      chunkPairs: request.chunkPairs,
      shard: options.shard,
      ...(request.significance ? { significance: request.significance } : {}),
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } finally {
    if (typeof model === 'function') await loaded.dispose?.();
  }
}

/** The request's pair set, and its settings completed with what the pair set decides (probing's held-out qids). */
async function loadRequestPairSet(
  request: AnalysisRunRequest,
  files: PairSetSpec,
  signal: AbortSignal | undefined,
): Promise<{ pairSet: PairSet; settings: Json }> {
  if (!request.heldOut) return { pairSet: await loadPairSet(files, { signal }), settings: request.settings };
  const train = await loadPairSet(files, { signal });
  const heldOut = await loadPairSet(
    { ...files, ...request.heldOut, sample: request.heldOut.sample },
    { signal },
  );
  return {
    pairSet: concatPairSets(train, heldOut),
    settings: { ...(request.settings as Record<string, Json>), heldOut: heldOut.items.map((i) => i.qid) },
  };
}
