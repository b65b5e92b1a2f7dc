import { isUtf8 } from 'node:buffer';
import { DataError } from './dataError';
import { openInputBytes } from './inputBytes';
import { throttledProgress, throwIfCancelled, type ProgressReport, type TaskOptions } from '../progress';

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

/** The UTF-8 byte order mark some editors put first; it is not part of the first line's text. */
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf] as const;

/**
 * Streams a file once, calling `onLine` for every line (split on "\n" only: MS MARCO passages contain
 * U+0085 and U+2028, which are text, not line breaks). Checks that every line is UTF-8 and throws a
 * DataError naming the line otherwise. Memory stays at one chunk plus the longest line. Pipes, gzip and
 * tar files are read as openInputBytes reads them; a byte order mark at the start is skipped.
 */
export async function scanLines(
  file: string,
  onLine: (line: LineView) => void,
  options: TaskOptions = {},
): Promise<ScanResult> {
  const input = await openInputBytes(file);
  const progress = throttledProgress(options.onProgress);
  const reportProgress = (report: (r: ProgressReport) => void) =>
    report({ done: input.rawBytesRead(), total: input.size, unit: 'bytes' });
  let buffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let carried = 0; // bytes of an unfinished line kept at the start of `buffer`
  let filePosition = 0; // offset of buffer[0] in the content
  let lineNumber = 0;
  let atStart = true;
  /**
   * Calls onLine for each line of buffer[0, available); returns where the unfinished rest begins. Only
   * bytes from `fresh` on are new: those before are an unfinished line, which holds no newline, so a long
   * line arriving in many small chunks is searched once, not once per chunk.
   */
  const emitLines = (available: number, fresh: number, atEnd: boolean): number => {
    if (!atEnd && buffer.subarray(fresh, available).indexOf(NEWLINE) < 0) return 0;
    let lineStart = 0;
    if (atStart && (available >= BYTE_ORDER_MARK.length || atEnd)) {
      if (BYTE_ORDER_MARK.every((b, i) => buffer[i] === b)) lineStart = BYTE_ORDER_MARK.length;
      atStart = false;
    }
    const lastNewline = atEnd ? available : buffer.lastIndexOf(NEWLINE, available - 1);
    const checked = Math.min(lastNewline + 1, available);
    if (lastNewline >= lineStart && !isUtf8(buffer.subarray(lineStart, checked))) {
      throw invalidUtf8Error(file, buffer, lineStart, checked, lineNumber, filePosition);
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
    // Lines ended before three bytes arrived: the next bytes are not the start of the file.
    if (lineNumber > 0) atStart = false;
    return lineStart;
  };
  for await (const chunk of input.chunks) {
    throwIfCancelled(options.signal, `reading ${file}`);
    while (carried + chunk.length > buffer.length) buffer = grow(buffer, carried);
    chunk.copy(buffer, carried);
    const available = carried + chunk.length;
    const lineStart = emitLines(available, carried, false);
    buffer.copy(buffer, 0, lineStart, available);
    carried = available - lineStart;
    filePosition += lineStart;
    if (carried >= MAX_LINE_BYTES) {
      throw new DataError(
        file,
        lineNumber + 1,
        `text lines shorter than ${MAX_LINE_BYTES / 1024 / 1024} MiB`,
        `a line of more than ${carried} bytes starting at file offset ${filePosition} (is this a binary file?)`,
      );
    }
    reportProgress(progress.report);
  }
  throwIfCancelled(options.signal, `reading ${file}`);
  emitLines(carried, carried, true);
  reportProgress(progress.flush);
  return { lines: lineNumber, bytes: filePosition + carried };
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

/** A buffer twice the size holding the first `used` bytes of `buffer`. */
function grow(buffer: Buffer, used: number): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

function invalidUtf8Error(
  file: string,
  buffer: Buffer,
  from: number,
  length: number,
  linesBefore: number,
  filePosition: number,
): DataError {
  let lineNumber = linesBefore;
  let lineStart = from;
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
