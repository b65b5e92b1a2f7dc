import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BertCheckpoint } from '../model/checkpoint';
import { sha256OfFile } from '../model/contentHash';
import { DataError } from '../data/dataError';
import { BERT_GRAPH_VERSION, buildBertGraph, type GraphVariant, type Precision } from './graph';

const PRODUCER = 'ranklens';
/** Room for a few BERT-base checkpoints in both variants (about 0.9 GB per checkpoint). */
export const DEFAULT_MAX_CACHE_BYTES = 8 * 2 ** 30;
/** A .partial file this old belongs to a build that died; a live build finishes long before. */
const STALE_PARTIAL_MS = 6 * 60 * 60 * 1000;

/**
 * This user's cache folder for RankLens: $XDG_CACHE_HOME/ranklens, else ~/.cache/ranklens. Never a fixed
 * folder in the system temp directory, which every user of the machine could write into.
 */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'ranklens');
}

export function defaultGraphCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultCacheRoot(env), 'graphs');
}

const HASH_MEMO_FOLDER = 'content-hashes';

/** Where the content hashes of checkpoint files are remembered, inside a graph cache folder. */
export function hashMemoDirOf(cacheDir: string): string {
  return path.join(cacheDir, HASH_MEMO_FOLDER);
}

/**
 * The file that makes a folder a RankLens graph cache. Trimming deletes files only in a folder that holds
 * it, and only files named as the cache names its own (CACHE_FILE_NAME), so a --cache-dir that points at a
 * folder of the user's can never cost them a file.
 */
export const CACHE_MARKER = '.ranklens-graph-cache';
const MARKER_TEXT =
  'This folder is a RankLens graph cache. RankLens may delete the files in it named bert-<variant>-<hash>.onnx,\n' +
  'their .json manifests and their .partial leftovers; it never deletes anything else here.\n';

/** A cached graph, its manifest, or a leftover of either's temporary file: the only names trimming removes. */
const CACHE_FILE_NAME = /^bert-[a-z0-9-]+-[0-9a-f]{32}\.(onnx|json)(\.\d+(\.\d+)?\.partial)?$/;

/** Whether `name` is one of the files a graph cache writes (graph, manifest, temporary file). */
export function isGraphCacheFileName(name: string): boolean {
  return CACHE_FILE_NAME.test(name);
}

/**
 * Makes sure `cacheDir` is a graph cache before anything is written into it: a folder that does not exist
 * yet, an empty one, or one holding only what a graph cache writes becomes one (the marker is written); a
 * folder holding anything else is refused, never written into and never trimmed, so the user's files in it
 * stay as they are. Runs before the checkpoint's content hashes are remembered there.
 */
export function prepareGraphCacheDir(cacheDir: string): void {
  const found = fs.statSync(cacheDir, { throwIfNoEntry: false });
  if (found && !found.isDirectory())
    throw new DataError(cacheDir, undefined, 'a folder for the graph cache', 'a file');
  if (!found) fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const marker = path.join(cacheDir, CACHE_MARKER);
  if (isMarkerFile(marker)) return;
  const foreign = fs
    .readdirSync(cacheDir)
    .filter((name) => name !== HASH_MEMO_FOLDER && !isGraphCacheFileName(name));
  if (foreign.length > 0) {
    const shown = foreign.sort().slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    throw new DataError(
      cacheDir,
      undefined,
      `an empty folder or a RankLens graph cache (one with ${CACHE_MARKER}) as the graph cache`,
      `a folder with other files (${shown}); give --cache-dir a folder of its own`,
    );
  }
  fs.writeFileSync(marker, MARKER_TEXT, { flag: 'wx' });
}

function isMarkerFile(marker: string): boolean {
  try {
    return fs.lstatSync(marker).isFile();
  } catch {
    return false;
  }
}

function docString(checkpoint: BertCheckpoint, variant: GraphVariant, precision: Precision): string {
  return JSON.stringify({
    checkpoint: checkpoint.dir,
    fingerprint: checkpoint.fingerprint,
    variant,
    precision,
    BERT_GRAPH_VERSION,
  });
}

/** The ONNX model in memory (small models, tests; large ones should go through the disk cache). */
export function bertModelBytes(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  precision: Precision = 'fp32',
): Uint8Array {
  return buildBertGraph(checkpoint, variant, precision)
    .encode(PRODUCER, docString(checkpoint, variant, precision))
    .toBytes();
}

/**
 * File name that changes with the checkpoint's content, the graph builder version, the variant and the
 * precision (an int8 graph is never taken for an fp32 one). fp32 names carry no precision, so they are the
 * names fp32 graphs always had.
 */
export function bertGraphCacheKey(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  precision: Precision = 'fp32',
): string {
  const suffix = precision === 'fp32' ? '' : `\n${precision}`;
  const key = crypto
    .createHash('sha256')
    .update(`${checkpoint.fingerprint}\n${BERT_GRAPH_VERSION}\n${variant}${suffix}`)
    .digest('hex')
    .slice(0, 32);
  return `bert-${variant}${precision === 'fp32' ? '' : `-${precision}`}-${key}.onnx`;
}

/** Written beside each cached graph (NAME.onnx -> NAME.json); a graph without a matching one is rebuilt. */
export interface GraphManifest {
  readonly builderVersion: number;
  readonly variant: GraphVariant;
  /** Absent in manifests written before int8 graphs existed: fp32. */
  readonly precision?: Precision;
  readonly checkpointFingerprint: string;
  readonly graphSha256: string;
  readonly graphBytes: number;
  /** The graph file as last verified; while it is unchanged the hash need not be recomputed. */
  readonly verified: FileStamp;
}

interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  /** The kernel sets ctime on every change to the file; no user tool can set it back. */
  readonly ctimeMs: number;
  readonly ino: number;
}

function stampOf(file: string): FileStamp {
  const s = fs.statSync(file);
  return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
}

const sameStamp = (a: FileStamp, b: FileStamp) =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;

export function manifestPathOf(graphFile: string): string {
  return graphFile.replace(/\.onnx$/, '.json');
}

export interface GraphCacheOptions {
  /** The cache is trimmed to this many bytes (least recently used graphs first) after each build. */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
  /** Told when a cached graph failed verification and is rebuilt (for logs and tests). */
  readonly onRebuild?: (graphFile: string, reason: string) => void;
  /** The graph's precision (default fp32); part of the cache key. */
  readonly precision?: Precision;
}

/**
 * Returns the path of the cached .onnx for this checkpoint and variant, building it first if needed. A
 * cached graph is used only if its manifest names this builder version, variant and checkpoint
 * fingerprint and the file still has the recorded sha256 (re-hashed whenever its size, mtime, ctime or
 * inode changed); otherwise it is rebuilt. Weights are streamed tensor by tensor into the file, which
 * appears atomically (rename).
 */
export function ensureBertGraphFile(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  cacheDir: string,
  options: GraphCacheOptions = {},
): string {
  prepareGraphCacheDir(cacheDir);
  const precision = options.precision ?? 'fp32';
  const file = path.join(cacheDir, bertGraphCacheKey(checkpoint, variant, precision));
  const manifestFile = manifestPathOf(file);
  if (fs.existsSync(file)) {
    const problem = verifyCachedGraph(file, manifestFile, checkpoint, variant, precision);
    if (problem === undefined) {
      markUsed(manifestFile);
      return file;
    }
    options.onRebuild?.(file, problem);
    fs.rmSync(file, { force: true });
    fs.rmSync(manifestFile, { force: true });
  }
  options.signal?.throwIfAborted();
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    buildBertGraph(checkpoint, variant, precision)
      .encode(PRODUCER, docString(checkpoint, variant, precision))
      .writeToFile(partial);
    options.signal?.throwIfAborted();
    const graphSha256 = sha256OfFile(partial);
    fs.renameSync(partial, file);
    const manifest: GraphManifest = {
      builderVersion: BERT_GRAPH_VERSION,
      variant,
      precision,
      checkpointFingerprint: checkpoint.fingerprint,
      graphSha256,
      graphBytes: fs.statSync(file).size,
      verified: stampOf(file),
    };
    writeManifest(manifestFile, manifest);
  } catch (error) {
    // A failed write (a full disk) names no file; the cache folder is where the user can act.
    const failure = error as NodeJS.ErrnoException;
    if (typeof failure.code === 'string' && failure.path === undefined) failure.path = cacheDir;
    throw failure;
  } finally {
    fs.rmSync(partial, { force: true });
  }
  trimGraphCache(cacheDir, options.maxBytes ?? DEFAULT_MAX_CACHE_BYTES, file);
  return file;
}

/** Why a cached graph cannot be used, or undefined when it can. */
export function verifyCachedGraph(
  file: string,
  manifestFile: string,
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  precision: Precision = 'fp32',
): string | undefined {
  let manifest: GraphManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as GraphManifest;
  } catch {
    return 'no readable manifest';
  }
  if (manifest.builderVersion !== BERT_GRAPH_VERSION)
    return `built by graph builder ${manifest.builderVersion}`;
  if (manifest.variant !== variant) return `manifest is for variant ${manifest.variant}`;
  if ((manifest.precision ?? 'fp32') !== precision)
    return `manifest is for precision ${manifest.precision ?? 'fp32'}`;
  if (manifest.checkpointFingerprint !== checkpoint.fingerprint) return 'manifest is for another checkpoint';
  const stamp = stampOf(file);
  if (stamp.size !== manifest.graphBytes) return `${stamp.size} bytes, manifest says ${manifest.graphBytes}`;
  if (manifest.verified && sameStamp(stamp, manifest.verified)) return undefined;
  if (sha256OfFile(file) !== manifest.graphSha256) return 'content does not match the manifest sha256';
  writeManifest(manifestFile, { ...manifest, verified: stamp });
  return undefined;
}

function writeManifest(file: string, manifest: GraphManifest): void {
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify(manifest, null, 2));
  fs.renameSync(partial, file);
}

/** The manifest's mtime is the graph's last use, for least-recently-used trimming. */
function markUsed(manifestFile: string): void {
  try {
    const now = new Date();
    fs.utimesSync(manifestFile, now, now);
  } catch {
    // Trimming order is a heuristic; a failed touch must not fail the load.
  }
}

/**
 * Deletes least recently used graphs (with their manifests) until the folder's graphs fit in `maxBytes`,
 * never `keep` (the graph just built or about to be loaded), and removes leftovers of builds that died.
 * Only in a folder that holds the cache's marker, and only regular files named as the cache names its own.
 */
export function trimGraphCache(cacheDir: string, maxBytes: number, keep?: string): void {
  if (!isMarkerFile(path.join(cacheDir, CACHE_MARKER))) return;
  const now = Date.now();
  const graphs: { file: string; bytes: number; lastUsed: number }[] = [];
  for (const name of fs.readdirSync(cacheDir)) {
    if (!isGraphCacheFileName(name)) continue;
    const file = path.join(cacheDir, name);
    try {
      const stats = fs.lstatSync(file);
      if (!stats.isFile()) continue;
      if (name.endsWith('.partial')) {
        if (now - stats.mtimeMs > STALE_PARTIAL_MS) fs.rmSync(file, { force: true });
      } else if (name.endsWith('.onnx')) {
        const manifest = manifestPathOf(file);
        const lastUsed = fs.existsSync(manifest) ? fs.statSync(manifest).mtimeMs : stats.mtimeMs;
        graphs.push({ file, bytes: stats.size, lastUsed });
      } else if (!fs.existsSync(file.replace(/\.json$/, '.onnx'))) {
        fs.rmSync(file, { force: true });
      }
    } catch {
      // Another process removed it first.
    }
  }
  let total = graphs.reduce((sum, g) => sum + g.bytes, 0);
  graphs.sort((a, b) => a.lastUsed - b.lastUsed);
  for (const g of graphs) {
    if (total <= maxBytes) break;
    if (keep !== undefined && path.resolve(g.file) === path.resolve(keep)) continue;
    fs.rmSync(g.file, { force: true });
    fs.rmSync(manifestPathOf(g.file), { force: true });
    total -= g.bytes;
  }
}
