import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { DataError } from '../data/dataError';
import { makeFolders, refuseOverwritingInput } from '../data/outputFiles';
import type { ProgressReport } from '../progress';
import type { ModelInfo } from '../runtime/types';
import type { AnalysisContext, AnyAnalysis, Chunk, Json, ModelDescription, RunDescription } from './analysis';
import { readCheckedFile, writeAtomically, writeCheckedFile } from './checkedFile';
import type { PairSet } from './pairSet';
import { RESULT_FORMAT } from './resultFormat';
import type { SignificanceOptions } from '../eval/significance';

export { RESULT_FORMAT };

export const PARTIAL_FORMAT = 'ranklens-partial/1';
export const CHUNK_FORMAT = 'ranklens-chunk/1';
/** Default chunk size: queries are added to a chunk until it holds at least this many pairs. */
export const DEFAULT_CHUNK_PAIRS = 512;

/** Shard k of N (1-based k), as `--shard k/N` writes it. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!shard || shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    throw new Error(`shard "${text}" must be k/N with 1 <= k <= N (e.g. 3/8)`);
  return shard;
}

export interface RunnerOptions {
  /** Output folder: result.json (or partials/shard-K-of-N.json with a shard), cache/ with finished chunks. */
  readonly dir: string;
  readonly model: ModelDescription;
  /** Identifies everything about the model that can change a result (see modelKey). */
  readonly modelKey: string;
  readonly shard?: Shard;
  readonly chunkPairs?: number;
  /** α, resamples and seed of the result's intervals and tests (the chunks do not depend on them). */
  readonly significance?: SignificanceOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (report: ProgressReport) => void;
}

export interface RunOutcome {
  /** result.json (no shard) or this shard's partial file. */
  readonly file: string;
  readonly chunksComputed: number;
  readonly chunksReused: number;
  readonly pairs: number;
  /** The result as written (no shard only). */
  readonly result?: ResultFile;
}

/** DIR/result.json. Nothing in it depends on how or where the chunks ran: no times, no paths. */
export interface ResultFile {
  readonly format: typeof RESULT_FORMAT;
  readonly analysis: string;
  readonly version: number;
  readonly settings: Json;
  readonly model: ModelDescription;
  readonly data: RunDescription['data'] & { readonly fingerprint: string };
  readonly chunks: number;
  readonly result: Json;
}

interface PartialBody {
  readonly runKey: string;
  readonly analysis: string;
  readonly version: number;
  readonly settings: Json;
  readonly model: ModelDescription;
  readonly data: ResultFile['data'];
  readonly chunkCount: number;
  readonly shard: Shard;
  readonly chunks: readonly { readonly index: number; readonly partial: Json }[];
  /** The inputs as the shard read them (absolute paths), so merge never writes over one of them. */
  readonly inputs?: readonly string[];
  /** As the shard was asked (merge finishes with them). */
  readonly significance?: SignificanceOptions;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The model's cache identity: its weights and config (ModelInfo.fingerprint), its tokenizer files and the
 * maximum pair length used to encode.
 */
export function modelKey(info: ModelInfo, maxLength: number): string {
  // int8 scores are other numbers: their chunks are cached apart (fp32 keys stay what they were).
  const precision = info.precision === 'int8' ? 'int8\n' : '';
  const hash = createHash('sha256').update(`${info.fingerprint}\n${maxLength}\n${precision}`);
  for (const name of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json']) {
    const file = path.join(info.dir, name);
    if (existsSync(file)) hash.update(`${name}\n`).update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** Consecutive queries, each chunk closed once it holds at least `chunkPairs` pairs (a query is never split). */
export function chunkItems(pairSet: PairSet, chunkPairs = DEFAULT_CHUNK_PAIRS): Chunk[] {
  if (!Number.isInteger(chunkPairs) || chunkPairs < 1)
    throw new Error(`chunk size ${chunkPairs} must be a positive integer`);
  const chunks: Chunk[] = [];
  let items: PairSet['items'][number][] = [];
  let pairs = 0;
  for (const item of pairSet.items) {
    items.push(item);
    pairs += item.candidates.length;
    if (pairs >= chunkPairs) {
      chunks.push({ index: chunks.length, items });
      items = [];
      pairs = 0;
    }
  }
  if (items.length > 0) chunks.push({ index: chunks.length, items });
  return chunks;
}

/** Chunks of shard k/N: every N-th chunk starting at k-1 (round robin balances long and short chunks). */
export function chunksOfShard<T extends { index: number }>(chunks: readonly T[], shard?: Shard): T[] {
  return shard ? chunks.filter((c) => c.index % shard.count === shard.index - 1) : [...chunks];
}

function analysisIdentity(analysis: AnyAnalysis): string {
  return JSON.stringify({ name: analysis.name, version: analysis.version, settings: analysis.settings });
}

/**
 * Runs an analysis over a pair set (or one shard of it), reusing finished chunks from DIR/cache/ after checking
 * their checksums and keys; writes DIR/result.json, or DIR/partials/shard-K-of-N.json with a shard.
 */
export async function runAnalysis(
  analysis: AnyAnalysis,
  pairSet: PairSet,
  context: Omit<AnalysisContext, 'onPairs' | 'signal' | 'minRelevance'>,
  options: RunnerOptions,
): Promise<RunOutcome> {
  const inputs = pairSet.sourceFiles ?? [];
  await prepareOutputFolder(options.dir, outputNames(analysis, options.shard), inputs);
  const chunkPairs = options.chunkPairs ?? DEFAULT_CHUNK_PAIRS;
  const chunks = chunkItems(pairSet, chunkPairs);
  const mine = chunksOfShard(chunks, options.shard);
  const identity = analysisIdentity(analysis);
  const batch = context.batchSize ?? null;
  const runKey = sha256(
    JSON.stringify({ identity, model: options.modelKey, data: pairSet.fingerprint, chunkPairs, batch }),
  );
  const total = mine.reduce((n, c) => n + c.items.reduce((m, item) => m + item.candidates.length, 0), 0);
  let done = 0;
  let computed = 0;
  let reused = 0;
  const report = (extra: number) =>
    options.onProgress?.({ done: done + extra, total, unit: 'pairs', message: analysis.name });
  const partials: { index: number; partial: Json }[] = [];
  const hashOf = new Map(pairSet.items.map((item, i) => [item, pairSet.itemHashes[i]]));
  for (const chunk of mine) {
    options.signal?.throwIfAborted();
    const itemHashes = chunk.items.map((item) => hashOf.get(item));
    const minRelevance = pairSet.description.minRelevance;
    const key = sha256(
      JSON.stringify({ identity, model: options.modelKey, batch, minRelevance, itemHashes }),
    );
    const cacheFile = path.join(options.dir, 'cache', `chunk-${key}.json`);
    const pairs = chunk.items.reduce((m, item) => m + item.candidates.length, 0);
    const cached = await readCheckedFile(cacheFile, CHUNK_FORMAT);
    let partial: Json;
    if (cached.ok && (cached.body as { key?: string }).key === key) {
      partial = (cached.body as { partial: Json }).partial;
      reused++;
    } else {
      partial = (await analysis.map(chunk, {
        ...context,
        minRelevance: pairSet.description.minRelevance,
        signal: options.signal,
        onPairs: (n) => report(n),
      })) as Json;
      await writeCheckedFile(cacheFile, CHUNK_FORMAT, { key, partial });
      computed++;
    }
    partials.push({ index: chunk.index, partial });
    done += pairs;
    report(0);
  }
  const data = { ...pairSet.description, fingerprint: pairSet.fingerprint };
  if (options.shard) {
    const body: PartialBody = {
      runKey,
      analysis: analysis.name,
      version: analysis.version,
      settings: analysis.settings as Json,
      model: options.model,
      data,
      chunkCount: chunks.length,
      shard: options.shard,
      chunks: partials,
      inputs,
      ...(options.significance ? { significance: options.significance } : {}),
    };
    const file = partialPath(options.dir, options.shard);
    await writeCheckedFile(file, PARTIAL_FORMAT, body as unknown as Json);
    return { file, chunksComputed: computed, chunksReused: reused, pairs: total };
  }
  const result = finishRun(
    analysis,
    partials.map((p) => p.partial),
    options.model,
    data,
    chunks.length,
    options.significance,
  );
  const file = await writeResult(options.dir, analysis, result, inputs);
  return { file, chunksComputed: computed, chunksReused: reused, pairs: total, result };
}

export function partialPath(dir: string, shard: Shard): string {
  return path.join(dir, partialName(shard));
}

function partialName(shard: Shard): string {
  return path.join('partials', `shard-${shard.index}-of-${shard.count}.json`);
}

function finishRun(
  analysis: AnyAnalysis,
  partials: readonly Json[],
  model: ModelDescription,
  data: ResultFile['data'],
  chunks: number,
  significance?: SignificanceOptions,
): ResultFile {
  return {
    format: RESULT_FORMAT,
    analysis: analysis.name,
    version: analysis.version,
    settings: analysis.settings as Json,
    model,
    data,
    chunks,
    result: analysis.finish(partials, { model, data, ...(significance ? { significance } : {}) }) as Json,
  };
}

/** The files a run writes into its folder (besides its chunk cache): each is checked against the inputs. */
export function outputNames(analysis: AnyAnalysis, shard?: Shard): string[] {
  if (shard) return [partialName(shard)];
  return ['result.json', ...(analysis.fileNames ?? [])];
}

/**
 * Refuses an output folder that is a file, or in which a file the run would write is one of its inputs:
 * a run written over its own input run would be lost without a trace. Creates nothing.
 */
export async function checkOutputFolder(
  dir: string,
  names: readonly string[],
  inputs: readonly string[],
): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (found && !found.isDirectory())
    throw new DataError(dir, undefined, 'a folder for the results (--out DIR)', 'a file');
  for (const name of names) await refuseOverwritingInput(path.join(dir, name), inputs);
}

/** checkOutputFolder, then the folder is made (with any missing folders above it). */
async function prepareOutputFolder(
  dir: string,
  names: readonly string[],
  inputs: readonly string[],
): Promise<void> {
  await checkOutputFolder(dir, names, inputs);
  await makeFolders(dir);
}

/**
 * Writes any files the analysis derives from its result (e.g. re-ranked runs), then DIR/result.json, each
 * whole (temporary file + rename) and never over one of the inputs.
 */
async function writeResult(
  dir: string,
  analysis: AnyAnalysis,
  result: ResultFile,
  inputs: readonly string[],
): Promise<string> {
  const file = path.join(dir, 'result.json');
  const extras = analysis.files?.(result.result, { model: result.model, data: result.data }) ?? [];
  for (const name of ['result.json', ...extras.map((extra) => extra.name)])
    await refuseOverwritingInput(path.join(dir, name), inputs);
  // result.json last: its presence is what says a run is finished (ranklens jobs, a Slurm run's merge status).
  for (const extra of extras) await writeAtomically(path.join(dir, extra.name), extra.content);
  await writeAtomically(file, JSON.stringify(result, null, 1) + '\n');
  return file;
}

/** Builds an analysis from its name and stored settings (merge needs it; see registry.ts). */
export type AnalysisFactory = (name: string, settings: Json) => AnyAnalysis;

/**
 * Combines DIR/partials/shard-*-of-N.json into DIR/result.json, bit-identical to a run without shards. Every
 * partial must verify (checksum), belong to the same run (key), and together cover every chunk exactly once.
 */
export async function mergeShards(dir: string, factory: AnalysisFactory): Promise<ResultFile> {
  const folder = path.join(dir, 'partials');
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort();
  } catch {
    throw new Error(
      `${folder}: no partials folder (run \`ranklens analyze ... --out ${dir} --shard k/N\` first)`,
    );
  }
  if (names.length === 0) throw new Error(`${folder}: no shard-K-of-N.json files`);
  const bodies: PartialBody[] = [];
  for (const name of names) {
    const file = path.join(folder, name);
    const read = await readCheckedFile(file, PARTIAL_FORMAT);
    if (!read.ok) throw new Error(`${file}: ${read.reason}`);
    bodies.push(read.body as unknown as PartialBody);
  }
  const first = bodies[0];
  const count = first.shard.count;
  bodies.forEach((b, i) => {
    if (b.runKey !== first.runKey)
      throw new Error(
        `${path.join(folder, names[i])}: from another run than ${names[0]} (model, data or settings differ)`,
      );
    if (b.shard.count !== count)
      throw new Error(`${path.join(folder, names[i])}: shard of ${b.shard.count}, ${names[0]} of ${count}`);
  });
  const present = new Set(bodies.map((b) => b.shard.index));
  const missing = [...Array(count).keys()].map((k) => k + 1).filter((k) => !present.has(k));
  if (missing.length > 0)
    throw new Error(`${folder}: shards ${missing.map((k) => `${k}/${count}`).join(', ')} are missing`);
  const byIndex = new Map<number, Json>();
  for (const b of bodies) {
    for (const c of b.chunks) {
      if (byIndex.has(c.index)) throw new Error(`${folder}: chunk ${c.index} appears in two shards`);
      byIndex.set(c.index, c.partial);
    }
  }
  const partials: Json[] = [];
  for (let i = 0; i < first.chunkCount; i++) {
    if (!byIndex.has(i)) throw new Error(`${folder}: chunk ${i} of ${first.chunkCount} is in no shard`);
    partials.push(byIndex.get(i) as Json);
  }
  const analysis = factory(first.analysis, first.settings);
  if (analysis.version !== first.version)
    throw new Error(
      `${folder}: partials of ${first.analysis} version ${first.version}; this RankLens has version ${analysis.version}`,
    );
  const inputs = [...new Set(bodies.flatMap((b) => b.inputs ?? []))];
  await prepareOutputFolder(dir, outputNames(analysis), inputs);
  const result = finishRun(analysis, partials, first.model, first.data, first.chunkCount, first.significance);
  await writeResult(dir, analysis, result, inputs);
  return result;
}
