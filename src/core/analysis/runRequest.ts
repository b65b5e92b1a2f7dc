import * as path from 'node:path';
import { describeModel, type Json } from './analysis';
import { createAnalysisContext } from './context';
import type { InProcessAnalysisModel } from './inProcessModel';
import { loadPairSet, type PairSetSpec } from './pairSet';
import { concatPairSets } from './pairSet';
import { createAnalysis } from './registry';
import { modelKey, runAnalysis, type ResultFile, type RunOutcome, type Shard } from './runner';
import type { ProgressReport } from '../progress';

/**
 * One dataset analysis as plain data, so it can be sent to the ranker worker (the extension host never runs
 * inference): which analysis, its settings, the dataset files and sample, and the output folder.
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
}

export interface RunRequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (report: ProgressReport) => void;
  /** Only this shard: writes its partial instead of result.json (`ranklens analyze --request F --shard K/N`). */
  readonly shard?: Shard;
}

export async function runAnalysisRequest(
  request: AnalysisRunRequest,
  model: InProcessAnalysisModel,
  options: RunRequestOptions = {},
): Promise<ResultFile> {
  return (await runAnalysisRequestOutcome(request, model, options)).result!;
}

/** runAnalysisRequest for one shard or all: the runner's outcome (the result only without a shard). */
export async function runAnalysisRequestOutcome(
  request: AnalysisRunRequest,
  model: InProcessAnalysisModel,
  options: RunRequestOptions = {},
): Promise<RunOutcome> {
  const selection = createAnalysis(request.name, request.settings).selection;
  const spec: PairSetSpec = { ...request.data, selection };
  let settings = request.settings;
  let pairSet;
  if (request.heldOut) {
    const train = await loadPairSet(spec, { signal: options.signal });
    const heldOut = await loadPairSet(
      { ...spec, ...request.heldOut, sample: request.heldOut.sample },
      { signal: options.signal },
    );
    pairSet = concatPairSets(train, heldOut);
    settings = { ...(settings as Record<string, Json>), heldOut: heldOut.items.map((i) => i.qid) };
  } else {
    pairSet = await loadPairSet(spec, { signal: options.signal });
  }
  const maxLength = Math.min(request.maxLength, model.info.maxLength);
  return runAnalysis(
    createAnalysis(request.name, settings),
    pairSet,
    createAnalysisContext(model, model.info.dir, maxLength),
    {
      dir: request.dir,
      model: describeModel(model.info, path.basename(path.resolve(model.info.dir))),
      modelKey: modelKey(model.info, maxLength),
      chunkPairs: request.chunkPairs,
      shard: options.shard,
      signal: options.signal,
      onProgress: options.onProgress,
    },
  );
}
