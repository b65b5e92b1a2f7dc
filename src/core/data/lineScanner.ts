import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { DataError } from './dataError';
import { throttledProgress, throwIfCancelled, type TaskOptions } from '../progress';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const CHUNK_BYTES = 4 * 1024 * 1024;
/** No text line of an MS MARCO file comes near this; a longer one means a binary or wrongly chosen file. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** One line of a file, as a view into a reused buffer: valid only during the callback. */
export interface LineView {
  readonly buffer: Buffer;
  /** Start of the line in `buffer`. */
  readonly start: number;
  /** End of the line's content in `buffer`, excluding "\n" and a trailing "\r". */
  readonly end: number;
  /** 1-based line number in the file. */
  readonly lineNumber: number;
  /** Byte offset of the line's first byte in the file. */
  readonly fileOffset: number;
}

export interface ScanResult {
  readonly lines: number;
  readonly bytes: number;
}

/**
 * Streams a file once, calling `onLine` for every line (split on "\n" only: MS MARCO passages contain
 * U+0085 and U+2028, which are text, not line breaks). Checks that every line is UTF-8 and throws a
 * DataError naming the line otherwise. Memory stays at one chunk plus the longest line.
 */
export async function scanLines(
  file: string,
  onLine: (line: LineView) => void,
  options: TaskOptions = {},
): Promise<ScanResult> {
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    const progress = throttledProgress(options.onProgress);
    let buffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let carried = 0; // bytes of an unfinished line kept at the start of `buffer`
    let filePosition = 0; // file offset of buffer[0]
    let lineNumber = 0;
    for (;;) {
      throwIfCancelled(options.signal, `reading ${file}`);
      if (carried >= MAX_LINE_BYTES) {
        throw new DataError(
          file,
          lineNumber + 1,
          `text lines shorter than ${MAX_LINE_BYTES / 1024 / 1024} MiB`,
          `a line of more than ${carried} bytes starting at file offset ${filePosition} (is this a binary file?)`,
        );
      }
      if (carried === buffer.length) buffer = grow(buffer);
      const { bytesRead } = await handle.read(
        buffer,
        carried,
        buffer.length - carried,
        filePosition + carried,
      );
      const available = carried + bytesRead;
      const atEnd = bytesRead === 0;
      let lineStart = 0;
      const lastNewline = atEnd ? available : buffer.lastIndexOf(NEWLINE, available - 1);
      if (lastNewline >= 0 && !isUtf8(buffer.subarray(0, Math.min(lastNewline + 1, available)))) {
        throw invalidUtf8Error(file, buffer, Math.min(lastNewline + 1, available), lineNumber, filePosition);
      }
      for (;;) {
        let newline = buffer.indexOf(NEWLINE, lineStart);
        if (newline < 0 || newline >= available) {
          if (!atEnd || lineStart >= available) break;
          newline = available; // last line without a final newline
        }
        lineNumber++;
        let end = newline;
        if (end > lineStart && buffer[end - 1] === CARRIAGE_RETURN) end--;
        onLine({ buffer, start: lineStart, end, lineNumber, fileOffset: filePosition + lineStart });
        lineStart = newline + 1;
      }
      if (atEnd) {
        progress.flush({ done: size, total: size, unit: 'bytes' });
        return { lines: lineNumber, bytes: filePosition + available };
      }
      buffer.copy(buffer, 0, lineStart, available);
      carried = available - lineStart;
      filePosition += lineStart;
      progress.report({ done: filePosition, total: size, unit: 'bytes' });
    }
  } finally {
    await handle.close();
  }
}

/** Reads a whole small file as lines of text (queries, qrels), with the same checks as scanLines. */
export async function readTextLines(
  file: string,
  onLine: (text: string, lineNumber: number) => void,
  options: TaskOptions = {},
): Promise<ScanResult> {
  return scanLines(
    file,
    (line) => onLine(line.buffer.toString('utf8', line.start, line.end), line.lineNumber),
    options,
  );
}

/** Opens a data file, turning the usual ways of naming the wrong thing into a DataError that says which. */
export async function openForReading(file: string) {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'an existing file', 'no such file');
    if (code === 'EISDIR') throw new DataError(file, undefined, 'a file', 'a folder');
    if (code === 'EACCES') throw new DataError(file, undefined, 'a readable file', 'permission denied');
    if (code === 'ELOOP') {
      throw new DataError(file, undefined, 'a file', `a symbolic link loop at ${file}`);
    }
    if (code === 'ENOTDIR') {
      throw new DataError(
        file,
        undefined,
        'an existing file',
        'a path through something that is not a folder',
      );
    }
    throw error;
  }
  // Linux opens a folder for reading without complaint; the first read would fail with EISDIR.
  // Pipes stay allowed (`--run <(zcat run.gz)`).
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new DataError(file, undefined, 'a file', 'a folder');
  }
  return handle;
}

function grow(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger);
  return bigger;
}

function invalidUtf8Error(
  file: string,
  buffer: Buffer,
  length: number,
  linesBefore: number,
  filePosition: number,
): DataError {
  let lineNumber = linesBefore;
  let lineStart = 0;
  while (lineStart < length) {
    let newline = buffer.indexOf(NEWLINE, lineStart);
    if (newline < 0 || newline >= length) newline = length;
    lineNumber++;
    const bad = firstInvalidUtf8Byte(buffer.subarray(lineStart, newline));
    if (bad >= 0) {
      const byte = buffer[lineStart + bad].toString(16).padStart(2, '0');
      return new DataError(
        file,
        lineNumber,
        'UTF-8 text',
        `byte 0x${byte} at column ${bad + 1} (file offset ${filePosition + lineStart + bad}); re-encode the file as UTF-8`,
      );
    }
    lineStart = newline + 1;
  }
  return new DataError(file, lineNumber, 'UTF-8 text', 'an invalid byte sequence');
}

/** Index of the first byte that does not start or continue a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + extra >= bytes.length) return i;
    let codePoint = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (c & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}
