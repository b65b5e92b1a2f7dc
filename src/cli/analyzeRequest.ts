import * as fs from 'node:fs';
import * as path from 'node:path';
import { InProcessAnalysisModel } from '../core/analysis/inProcessModel';
import { runAnalysisRequestOutcome, type AnalysisRunRequest } from '../core/analysis/runRequest';
import type { Shard } from '../core/analysis/runner';
import { DataError } from '../core/data';
import type { Device } from '../core/device';
import type { SignificanceOptions } from '../core/eval/significance';
import { withFlags } from './significanceFlags';
import { SignificanceFieldError, significanceFromFields } from '../core/eval/significanceFields';

/**
 * Reads an analysis request that VS Code wrote (the palette's choices as plain data: AnalysisRunRequest), so a
 * Slurm shard runs exactly what the palette would have run in the worker.
 */
export function readAnalysisRequest(file: string, analysis: string): AnalysisRunRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DataError(file, undefined, 'an analysis request (JSON)', (error as Error).message);
  }
  const r = parsed as Partial<AnalysisRunRequest> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.name !== 'string' ||
    typeof r.data?.collection !== 'string' ||
    typeof r.data?.queries !== 'string' ||
    typeof r.maxLength !== 'number'
  )
    throw new DataError(file, undefined, 'an analysis request with name, settings, data and maxLength');
  if (r.name !== analysis) throw new DataError(file, undefined, `a request for ${analysis}`, r.name);
  if (r.significance === undefined) return r as AnalysisRunRequest;
  try {
    return {
      ...(r as AnalysisRunRequest),
      significance: significanceFromFields(r.significance, (field) => `significance.${field}`),
    };
  } catch (error) {
    if (!(error instanceof SignificanceFieldError)) throw error;
    throw new DataError(file, undefined, `${error.field} to be ${error.expected}`, error.found);
  }
}

/**
 * `ranklens analyze NAME --request FILE --out DIR [--shard K/N]`: runs the request with its results in DIR; the
 * significance flags, where given, override the request's.
 */
export async function runAnalysisRequestFile(options: {
  readonly analysis: string;
  readonly requestFile: string;
  readonly out: string;
  /** The significance flags given (significanceOverrides). */
  readonly significance: Partial<SignificanceOptions>;
  readonly shard?: Shard;
  readonly modelDir: string;
  readonly threads?: number;
  readonly device: Device;
  readonly cacheDir: string;
}): Promise<number> {
  const read = readAnalysisRequest(options.requestFile, options.analysis);
  const request =
    Object.keys(options.significance).length > 0
      ? { ...read, significance: withFlags(read.significance ?? {}, options.significance) }
      : read;
  const model = await InProcessAnalysisModel.load(options.modelDir, {
    threads: options.threads,
    device: options.device,
    cacheDir: options.cacheDir,
  });
  try {
    const outcome = await runAnalysisRequestOutcome({ ...request, dir: path.resolve(options.out) }, model, {
      shard: options.shard,
    });
    process.stdout.write(
      `wrote ${outcome.file} (${outcome.pairs} pairs; ${outcome.chunksComputed} chunks computed, ${outcome.chunksReused} reused)\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
