// Lucene 8+ stores each document's length as one byte (SmallFloat.intToByte4): lengths below 24 are
// exact, larger ones keep 4 significant bits. BM25 then scores with the decoded (rounded-down) length,
// so mimicking it is needed to reproduce Anserini's scores and rankings exactly.

function longToInt4(value: number): number {
  const numBits = 32 - Math.clz32(value);
  if (numBits < 4) return value; // subnormal
  const shift = numBits - 4;
  // Keep the 4 most significant bits; the leading one is implicit.
  const mantissa = Math.floor(value / 2 ** shift) & 0x07;
  return mantissa | ((shift + 1) << 3);
}

function int4ToLong(encoded: number): number {
  const bits = encoded & 0x07;
  const shift = (encoded >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
}

const MAX_INT4 = longToInt4(2 ** 31 - 1);
/** Byte values below this encode the length itself (24 in Lucene). */
export const NUM_FREE_VALUES = 255 - MAX_INT4;

/** SmallFloat.intToByte4: a non-negative int to an unsigned byte (0..255). */
export function intToByte4(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RangeError(`intToByte4 expects a non-negative 32-bit integer, got ${value}`);
  }
  return value < NUM_FREE_VALUES ? value : NUM_FREE_VALUES + longToInt4(value - NUM_FREE_VALUES);
}

/** SmallFloat.byte4ToInt: decodes an unsigned byte written by intToByte4. */
export function byte4ToInt(encoded: number): number {
  return encoded < NUM_FREE_VALUES ? encoded : NUM_FREE_VALUES + int4ToLong(encoded - NUM_FREE_VALUES);
}

/** The document length Lucene's BM25 actually uses for a document of `length` terms. */
export function luceneDocLength(length: number): number {
  return byte4ToInt(intToByte4(length));
}
