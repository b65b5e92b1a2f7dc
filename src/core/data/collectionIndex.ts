import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DataError, quoteForError } from './dataError';
import { GrowableFloat64, GrowableUint32 } from './growableArrays';
import { inputKindOf, openForReading, statInput } from './inputBytes';
import { scanLines } from './lineScanner';
import type { TaskOptions } from '../progress';

const TAB = 0x09;
const INDEX_FORMAT_VERSION = 1;
const MAX_NUMERIC_ID = 0xffffffff;

export interface Passage {
  readonly pid: string;
  readonly text: string;
  /** 1-based line of the passage in the collection file (when known). */
  readonly lineNumber?: number;
}

export interface CollectionIndexOptions extends TaskOptions {
  /** Folder where the pid -> byte offset index is kept between sessions; omit to keep it in memory only. */
  readonly indexDir?: string;
}

/** What identifies the exact bytes an index was built from; any change invalidates it. */
interface FileFingerprint {
  readonly size: number;
  readonly mtimeMs: number;
  readonly headTailSha1: string;
}

interface IndexHeader {
  readonly version: number;
  readonly source: string;
  readonly fingerprint: FileFingerprint;
  readonly count: number;
  readonly lines: number;
  /** Numeric ids live in a Uint32Array; anything else (e.g. "D1555982") in a string table. */
  readonly idMode: 'numeric' | 'string';
}

type SortedIds =
  | { readonly mode: 'numeric'; readonly ids: Uint32Array }
  | { readonly mode: 'string'; readonly ids: string[] };

/**
 * A collection file (pid TAB passage per line) opened for random access: one streaming pass records each
 * passage's byte offset and length, sorted by pid; passages are then read from disk on demand. Memory is
 * ~16 bytes per passage (140 MB for MS MARCO's 8.8M), never the text.
 */
export class CollectionIndex {
  private constructor(
    readonly file: string,
    private readonly header: IndexHeader,
    private readonly sortedIds: SortedIds,
    private readonly offsets: Float64Array,
    private readonly lengths: Uint32Array,
    /** True when the index was read from disk rather than built now. */
    readonly fromCache: boolean,
  ) {}

  get size(): number {
    return this.header.count;
  }

  /** Lines in the file, including blank ones that were skipped. */
  get lineCount(): number {
    return this.header.lines;
  }

  static async open(file: string, options: CollectionIndexOptions = {}): Promise<CollectionIndex> {
    const absolute = path.resolve(file);
    const fingerprint = await headTailFingerprintOf(absolute);
    const cacheFile = options.indexDir ? indexFileFor(options.indexDir, absolute) : undefined;
    if (cacheFile) {
      const cached = await readIndexFile(cacheFile, absolute, fingerprint);
      if (cached) return cached;
    }
    const built = await buildIndex(absolute, fingerprint, options);
    if (cacheFile) await writeIndexFile(cacheFile, built);
    return built;
  }

  /** The pid at sorted position i (0 <= i < size), for browsing. */
  idAt(i: number): string {
    return this.sortedIds.mode === 'numeric' ? String(this.sortedIds.ids[i]) : this.sortedIds.ids[i];
  }

  has(pid: string): boolean {
    return this.positionOf(pid) >= 0;
  }

  async get(pid: string): Promise<Passage | undefined> {
    const [passage] = await this.getMany([pid]);
    return passage;
  }

  /** Reads several passages with one open file handle; missing pids give undefined at their position. */
  async getMany(pids: readonly string[]): Promise<(Passage | undefined)[]> {
    const handle = await openForReading(this.file);
    try {
      const out: (Passage | undefined)[] = [];
      for (const pid of pids) {
        const at = this.positionOf(pid);
        if (at < 0) {
          out.push(undefined);
          continue;
        }
        const length = this.lengths[at];
        const bytes = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(bytes, 0, length, this.offsets[at]);
        const line = bytes.toString('utf8', 0, bytesRead);
        const tab = line.indexOf('\t');
        if (tab < 0 || line.slice(0, tab) !== pid) {
          throw new DataError(
            this.file,
            undefined,
            `passage ${pid} at byte ${this.offsets[at]} (the file changed since it was indexed; open it again)`,
            quoteForError(line),
          );
        }
        out.push({ pid, text: line.slice(tab + 1).replace(/\r$/, '') });
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  private positionOf(pid: string): number {
    if (this.sortedIds.mode === 'numeric') {
      const id = parseNumericId(pid);
      return id === undefined ? -1 : binarySearch(this.sortedIds.ids, id, (a, b) => a - b);
    }
    return binarySearch(this.sortedIds.ids, pid, compareStrings);
  }

  /** @internal for persisting */
  toParts() {
    return { header: this.header, sortedIds: this.sortedIds, offsets: this.offsets, lengths: this.lengths };
  }

  /** @internal */
  static fromParts(
    file: string,
    header: IndexHeader,
    sortedIds: SortedIds,
    offsets: Float64Array,
    lengths: Uint32Array,
    fromCache: boolean,
  ): CollectionIndex {
    return new CollectionIndex(file, header, sortedIds, offsets, lengths, fromCache);
  }
}

async function buildIndex(
  file: string,
  fingerprint: FileFingerprint,
  options: CollectionIndexOptions,
): Promise<CollectionIndex> {
  const numericIds = new GrowableUint32();
  let stringIds: string[] | undefined;
  const offsets = new GrowableFloat64();
  const lengths = new GrowableUint32();
  let sorted = true;
  let previous = -1;

  const { lines } = await scanLines(
    file,
    ({ buffer, start, end, lineNumber, fileOffset }) => {
      if (isBlank(buffer, start, end)) return;
      const tab = buffer.indexOf(TAB, start);
      if (tab < 0 || tab >= end) {
        throw new DataError(
          file,
          lineNumber,
          'a passage line "pid<TAB>passage text"',
          `no tab in ${quoteForError(buffer.toString('utf8', start, end))}`,
        );
      }
      if (tab === start) throw new DataError(file, lineNumber, 'a pid before the tab', 'an empty pid');
      const numeric = stringIds ? undefined : parseNumericBytes(buffer, start, tab);
      if (numeric === undefined && !stringIds) {
        stringIds = Array.from(numericIds.toArray(), String);
      }
      if (stringIds) {
        const pid = buffer.toString('utf8', start, tab);
        if (/\s/.test(pid)) throw new DataError(file, lineNumber, 'a pid without spaces', quoteForError(pid));
        stringIds.push(pid);
      } else {
        const id = numeric as number;
        if (id <= previous) sorted = false;
        previous = id;
        numericIds.push(id);
      }
      offsets.push(fileOffset);
      lengths.push(end - start);
    },
    { signal: options.signal, onProgress: options.onProgress },
  );

  const count = offsets.length;
  if (count === 0)
    throw new DataError(file, undefined, 'at least one "pid<TAB>passage" line', 'an empty file');
  const rawOffsets = offsets.toArray();
  const rawLengths = lengths.toArray();
  const header: IndexHeader = {
    version: INDEX_FORMAT_VERSION,
    source: file,
    fingerprint,
    count,
    lines,
    idMode: stringIds ? 'string' : 'numeric',
  };
  if (!stringIds && sorted) {
    // MS MARCO's collection.tsv is already in pid order: no permutation needed.
    return CollectionIndex.fromParts(
      file,
      header,
      { mode: 'numeric', ids: numericIds.toArray() },
      rawOffsets,
      rawLengths,
      false,
    );
  }
  const ids = stringIds ?? numericIds.toArray();
  const order = new Uint32Array(count).map((_, i) => i);
  if (stringIds) order.sort((a, b) => compareStrings(stringIds![a], stringIds![b]) || a - b);
  else {
    const numbers = ids as Uint32Array;
    order.sort((a, b) => numbers[a] - numbers[b] || a - b);
  }
  for (let k = 1; k < count; k++) {
    if (ids[order[k]] === ids[order[k - 1]]) {
      await throwDuplicate(file, String(ids[order[k]]), rawOffsets[order[k - 1]], rawOffsets[order[k]]);
    }
  }
  const sortedOffsets = new Float64Array(count);
  const sortedLengths = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    sortedOffsets[k] = rawOffsets[order[k]];
    sortedLengths[k] = rawLengths[order[k]];
  }
  const sortedIds: SortedIds = stringIds
    ? { mode: 'string', ids: Array.from(order, (i) => stringIds![i]) }
    : { mode: 'numeric', ids: Uint32Array.from(order, (i) => (ids as Uint32Array)[i]) };
  return CollectionIndex.fromParts(file, header, sortedIds, sortedOffsets, sortedLengths, false);
}

/** Finds the line numbers of both occurrences (a second pass, only on this rare error). */
async function throwDuplicate(
  file: string,
  pid: string,
  firstOffset: number,
  secondOffset: number,
): Promise<never> {
  const lineAt = new Map<number, number>();
  await scanLines(file, ({ fileOffset, lineNumber }) => {
    if (fileOffset === firstOffset || fileOffset === secondOffset) lineAt.set(fileOffset, lineNumber);
  });
  const [first, second] = [lineAt.get(firstOffset), lineAt.get(secondOffset)].sort(
    (a, b) => (a ?? 0) - (b ?? 0),
  );
  throw new DataError(file, second, `each pid once`, `pid ${pid} again (first on line ${first})`);
}

function isBlank(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buffer[i];
    if (b !== 0x20 && b !== TAB && b !== 0x0d) return false;
  }
  return true;
}

function parseNumericBytes(buffer: Buffer, start: number, end: number): number | undefined {
  if (end - start > 10 || (end - start > 1 && buffer[start] === 0x30)) return undefined; // leading zero: keep as text
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buffer[i] - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value <= MAX_NUMERIC_ID ? value : undefined;
}

function parseNumericId(pid: string): number | undefined {
  if (!/^(0|[1-9]\d{0,9})$/.test(pid)) return undefined;
  const value = Number(pid);
  return value <= MAX_NUMERIC_ID ? value : undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function binarySearch<T>(sorted: ArrayLike<T>, key: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(sorted[mid], key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** FileFingerprint of a collection file: size, mtime and a sha1 of its first and last 64 KiB (no full read). */
async function headTailFingerprintOf(file: string): Promise<FileFingerprint> {
  // Checked before opening: opening a named pipe waits for a writer, which may never come.
  const info = await statInput(file);
  if (info.isDirectory()) throw new DataError(file, undefined, 'a collection file', 'a directory');
  const kind = inputKindOf(info);
  if (kind !== 'file') {
    throw new DataError(
      file,
      undefined,
      'a regular collection file (passages are read from it by byte offset)',
      `a ${kind}; save it to a file first`,
    );
  }
  const handle = await openForReading(file);
  try {
    const span = 64 * 1024;
    const hash = createHash('sha1');
    const head = Buffer.alloc(Math.min(span, info.size));
    await handle.read(head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      throw new DataError(
        file,
        undefined,
        'an uncompressed collection (passages are read from it by byte offset)',
        'gzip data; decompress it first (gunzip -k, or tar xzf for collection.tar.gz)',
      );
    }
    hash.update(head);
    if (info.size > span) {
      const tail = Buffer.alloc(Math.min(span, info.size - span));
      await handle.read(tail, 0, tail.length, info.size - tail.length);
      hash.update(tail);
    }
    return { size: info.size, mtimeMs: info.mtimeMs, headTailSha1: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

function indexFileFor(indexDir: string, file: string): string {
  const key = createHash('sha1').update(file).digest('hex').slice(0, 20);
  return path.join(indexDir, `${path.basename(file)}.${key}.rlidx`);
}

const MAGIC = 'RANKLENS-PID-INDEX\n';

/** Layout: MAGIC, u32 header length, header JSON, padding to 8 bytes, offsets f64[], lengths u32[], ids. */
async function writeIndexFile(target: string, index: CollectionIndex): Promise<void> {
  const { header, sortedIds, offsets, lengths } = index.toParts();
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefixLength = MAGIC.length + 4 + headerBytes.length;
  const padding = (8 - (prefixLength % 8)) % 8;
  const idBytes =
    sortedIds.mode === 'numeric'
      ? Buffer.from(sortedIds.ids.buffer, sortedIds.ids.byteOffset, sortedIds.ids.byteLength)
      : Buffer.from(sortedIds.ids.join('\n'), 'utf8');
  const lengthPrefix = Buffer.alloc(4);
  lengthPrefix.writeUInt32LE(headerBytes.length);
  const parts = [
    Buffer.from(MAGIC, 'latin1'),
    lengthPrefix,
    headerBytes,
    Buffer.alloc(padding),
    Buffer.from(offsets.buffer, offsets.byteOffset, offsets.byteLength),
    Buffer.from(lengths.buffer, lengths.byteOffset, lengths.byteLength),
    idBytes,
  ];
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, Buffer.concat(parts));
  await rename(temporary, target);
}

async function readIndexFile(
  cacheFile: string,
  source: string,
  fingerprint: FileFingerprint,
): Promise<CollectionIndex | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(cacheFile);
  } catch {
    return undefined;
  }
  try {
    if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
    const headerLength = bytes.readUInt32LE(MAGIC.length);
    const headerStart = MAGIC.length + 4;
    const header = JSON.parse(bytes.toString('utf8', headerStart, headerStart + headerLength)) as IndexHeader;
    const same =
      header.version === INDEX_FORMAT_VERSION &&
      header.source === source &&
      header.fingerprint.size === fingerprint.size &&
      header.fingerprint.mtimeMs === fingerprint.mtimeMs &&
      header.fingerprint.headTailSha1 === fingerprint.headTailSha1;
    if (!same) return undefined;
    let at = headerStart + headerLength;
    at += (8 - (at % 8)) % 8;
    const aligned = new Uint8Array(bytes.length - at);
    aligned.set(bytes.subarray(at)); // copy to an 8-aligned buffer for the typed-array views
    const count = header.count;
    const offsets = new Float64Array(aligned.buffer, 0, count);
    const lengths = new Uint32Array(aligned.buffer, count * 8, count);
    const idsStart = count * 12;
    const sortedIds: SortedIds =
      header.idMode === 'numeric'
        ? { mode: 'numeric', ids: new Uint32Array(aligned.buffer, idsStart, count) }
        : { mode: 'string', ids: Buffer.from(aligned.buffer, idsStart).toString('utf8').split('\n') };
    if (sortedIds.ids.length !== count) return undefined;
    return CollectionIndex.fromParts(source, header, sortedIds, offsets, lengths, true);
  } catch {
    return undefined; // a damaged cache is rebuilt, never trusted
  }
}
