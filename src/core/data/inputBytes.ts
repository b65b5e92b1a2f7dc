import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataError } from './dataError';

const READ_BYTES = 4 * 1024 * 1024;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/**
 * A decompression bomb is refused once the text it gives exceeds this floor plus MAX_EXPANSION times the
 * compressed bytes read: MS MARCO's text, runs and qrels compress 3-6 fold, while gzip reaches ~1000-fold
 * on runs of one byte. Checked as the data flows, so a bomb costs a few seconds of reading, never memory.
 */
const EXPANSION_FLOOR_BYTES = 16 * 1024 * 1024;
const MAX_EXPANSION = 50;
const TAR_BLOCK = 512;

/** What a data file's bytes come from, for messages and for readers that need random access. */
export type InputKind = 'file' | 'pipe' | 'device' | 'socket';

/** How the content of a data file reaches its reader. */
export interface InputBytes {
  /** The content, decompressed and unpacked where the file was gzip or tar, in order, each chunk once. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes of the file itself (not the content) read so far, for progress. */
  rawBytesRead(): number;
  /** The file's size when it is a regular file (for progress), else undefined. */
  readonly size: number | undefined;
}

export function inputKindOf(stats: Stats): InputKind {
  if (stats.isFIFO()) return 'pipe';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'device';
  return 'file';
}

/**
 * The DataError for a data file that cannot be opened or looked at (missing, a folder, a link loop...),
 * or undefined when the error is not one of those.
 */
export function openFailure(file: string, error: unknown): DataError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(file, undefined, 'an existing file', 'no such file');
  if (code === 'EISDIR') return new DataError(file, undefined, 'a file', 'a folder');
  if (code === 'EACCES') return new DataError(file, undefined, 'a readable file', 'permission denied');
  if (code === 'ELOOP') return new DataError(file, undefined, 'a file', `a symbolic link loop at ${file}`);
  if (code === 'ENXIO')
    return new DataError(file, undefined, 'a file or a pipe', 'a socket, which cannot be opened by name');
  if (code === 'ENOTDIR')
    return new DataError(
      file,
      undefined,
      'an existing file',
      'a path through something that is not a folder',
    );
  return undefined;
}

/** stat() of a data file, with the usual mistakes (missing, link loop...) as a DataError naming it. */
export async function statInput(file: string): Promise<Stats> {
  try {
    return await stat(file);
  } catch (error) {
    throw openFailure(file, error) ?? error;
  }
}

/** Opens a data file, turning the usual ways of naming the wrong thing into a DataError that says which. */
export async function openForReading(file: string): Promise<FileHandle> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw openFailure(file, error) ?? error;
  }
  // Linux opens a folder for reading without complaint; the first read would fail with EISDIR.
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new DataError(file, undefined, 'a file', 'a folder');
  }
  return handle;
}

/**
 * Opens a data file for one pass from start to end. Regular files, pipes (`--run <(zcat run.gz)`),
 * /dev/stdin and named pipes are all read the same way, front to back, never by position. Gzip data is
 * decompressed and a tar archive (MS MARCO's top1000.dev.tar.gz) gives its one file, recognised by their
 * content rather than their names.
 */
export async function openInputBytes(file: string): Promise<InputBytes> {
  const handle = await openForReading(file);
  const stats = await handle.stat();
  let raw = 0;
  async function* fileChunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const buffer = Buffer.allocUnsafe(READ_BYTES);
        const { bytesRead } = await readAtCurrentOffset(handle, buffer, file);
        if (bytesRead === 0) return;
        raw += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }
  return {
    chunks: unpacked(file, fileChunks(), () => raw),
    rawBytesRead: () => raw,
    size: stats.isFile() ? stats.size : undefined,
  };
}

async function readAtCurrentOffset(handle: FileHandle, buffer: Buffer, file: string) {
  try {
    return await handle.read(buffer, 0, buffer.length, null);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new DataError(file, undefined, 'a file', 'a folder');
    throw Object.assign(error as NodeJS.ErrnoException, { path: file });
  }
}

/** The chunks as they are, or decompressed (gzip) and/or unpacked (tar), judged by the first bytes. */
async function* unpacked(
  file: string,
  chunks: AsyncGenerator<Buffer>,
  rawBytesRead: () => number,
): AsyncGenerator<Buffer> {
  const [first, rest] = await peek(chunks, TAR_BLOCK);
  if (first.length === 0) return;
  let content: AsyncGenerator<Buffer> = prepend(first, rest);
  if (first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1])
    content = gunzipped(file, content, rawBytesRead);
  const [head, body] = await peek(content, TAR_BLOCK);
  content = prepend(head, body);
  if (isTarHeader(head)) content = onlyTarMember(file, content);
  yield* content;
}

/** Reads at least `bytes` (or to the end) and gives them with the generator that continues after them. */
async function peek(
  chunks: AsyncGenerator<Buffer>,
  bytes: number,
): Promise<[Buffer, AsyncGenerator<Buffer>]> {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await chunks.next();
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  return [Buffer.concat(parts), chunks];
}

async function* prepend(first: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  yield* rest;
}

async function* gunzipped(
  file: string,
  compressed: AsyncGenerator<Buffer>,
  rawBytesRead: () => number,
): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  const feeding = (async () => {
    try {
      for await (const chunk of compressed) {
        if (!gunzip.write(chunk))
          await new Promise((resolve) => {
            gunzip.once('drain', resolve);
            gunzip.once('close', resolve);
          });
        if (gunzip.destroyed) return;
      }
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  let expanded = 0;
  try {
    for await (const chunk of gunzip) {
      const buffer = chunk as Buffer;
      expanded += buffer.length;
      if (expanded > EXPANSION_FLOOR_BYTES + MAX_EXPANSION * rawBytesRead()) {
        throw new DataError(
          file,
          undefined,
          `gzip data that expands at most ${MAX_EXPANSION}-fold`,
          `${mib(expanded)} MiB from ${mib(rawBytesRead())} MiB of it (a decompression bomb?)`,
        );
      }
      yield buffer;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new DataError(file, undefined, 'complete gzip data', `${(error as Error).message} (${code})`);
    throw error;
  } finally {
    gunzip.destroy();
    await compressed.return(undefined);
    await feeding;
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** A POSIX (ustar) tar header block: "ustar" at byte 257. */
function isTarHeader(block: Buffer): boolean {
  return block.length >= TAR_BLOCK && block.toString('latin1', 257, 262) === 'ustar';
}

/**
 * The content of the one regular file in a tar stream (folders, links and pax headers are skipped). An
 * archive of several files is refused: which of them is the run would be a guess.
 */
async function* onlyTarMember(file: string, chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let member: string | undefined;
  /** Bytes of the current entry's data still to come, and the padding after it. */
  let dataLeft = 0;
  let paddingLeft = 0;
  let skipping = false;
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (dataLeft > 0) {
        const take = Math.min(dataLeft, pending.length);
        if (take === 0) break;
        if (!skipping) yield pending.subarray(0, take);
        pending = pending.subarray(take);
        dataLeft -= take;
        continue;
      }
      if (paddingLeft > 0) {
        const take = Math.min(paddingLeft, pending.length);
        if (take === 0) break;
        pending = pending.subarray(take);
        paddingLeft -= take;
        continue;
      }
      if (pending.length < TAR_BLOCK) break;
      const header = pending.subarray(0, TAR_BLOCK);
      pending = pending.subarray(TAR_BLOCK);
      if (header.every((b) => b === 0)) continue; // the end-of-archive blocks
      const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const size = parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new DataError(file, undefined, 'a tar archive with valid entry sizes', `entry "${name}"`);
      const type = String.fromCharCode(header[156]);
      const regular = type === '0' || type === '\0';
      if (regular && member !== undefined)
        throw new DataError(file, undefined, 'a tar archive holding one file', `"${member}" and "${name}"`);
      if (regular) member = name;
      skipping = !regular;
      dataLeft = size;
      paddingLeft = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    }
  }
  if (dataLeft > 0) throw new DataError(file, undefined, 'a complete tar archive', 'it ends inside an entry');
  if (member === undefined) throw new DataError(file, undefined, 'a tar archive holding one file', 'none');
}
