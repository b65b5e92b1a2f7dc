import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError } from './checkpointError';

export type StoredDType = 'F32' | 'F16' | 'BF16';
const BYTES_PER_ELEMENT: Record<StoredDType, number> = { F32: 4, F16: 2, BF16: 2 };

/** Where one tensor lives on disk; its data is read only when asked for. */
export interface TensorRecord {
  readonly name: string;
  readonly file: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file. */
  readonly begin: number;
  readonly end: number;
}

/** Larger tensors cannot be held as one float32 array (and no BERT has one: base's largest is 94 MB). */
export const MAX_TENSOR_BYTES = 4 * 2 ** 30;

/**
 * Headers larger than this are not a plausible safetensors header: ~150 bytes per tensor, so 16 MiB would
 * describe 100,000 tensors (BERT-base has about 200; the format itself allows 100 MB).
 */
const MAX_HEADER_BYTES = 16 * 2 ** 20;
/** A header is an object of entries whose deepest part is the shape array: {"t": {"shape": [..]}}. */
const MAX_HEADER_DEPTH = 3;
const MAX_DIMENSIONS = 8;
/** Alignment padding is a few bytes; anything beyond this after the last tensor is not a safetensors file. */
const MAX_TRAILING_BYTES = 2 ** 20;

/** Parses the header of one .safetensors file and checks every entry against the file size. */
export function readSafetensorsHeader(file: string): TensorRecord[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new CheckpointError(`cannot open ${file}: ${(e as Error).message}`, file);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8)
      throw new CheckpointError(
        `${file}: truncated safetensors file (${size} bytes, no header length)`,
        file,
      );
    const lengthBytes = Buffer.alloc(8);
    fs.readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES) {
      throw new CheckpointError(
        `${file}: bad safetensors header: declared header length ${headerLength} bytes; ` +
          `expected at most ${MAX_HEADER_BYTES} (a header of 100,000 tensors)`,
        file,
      );
    }
    if (8 + headerLength > size) {
      throw new CheckpointError(
        `${file}: truncated safetensors file: header needs ${8 + headerLength} bytes, file has ${size}`,
        file,
      );
    }
    const headerBytes = Buffer.alloc(headerLength);
    fs.readSync(fd, headerBytes, 0, headerLength, 8);
    // JSON.parse of a legal-sized but deeply nested header runs for a long time in a lot of memory; this scan is
    // one linear pass that allocates nothing.
    const tooDeep = firstByteDeeperThan(headerBytes, MAX_HEADER_DEPTH);
    if (tooDeep >= 0) {
      throw new CheckpointError(
        `${file}: bad safetensors header: nested more than ${MAX_HEADER_DEPTH} levels deep at header byte ` +
          `${tooDeep}; expected {"tensor name": {"dtype", "shape": [...], "data_offsets": [begin, end]}, ...}`,
        file,
      );
    }
    let header: unknown;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch (e) {
      throw new CheckpointError(`${file}: bad safetensors header: not JSON (${(e as Error).message})`, file);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new CheckpointError(`${file}: bad safetensors header: expected a JSON object`, file);
    }
    const dataStart = 8 + headerLength;
    const records: TensorRecord[] = [];
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const offsets = e.data_offsets;
      const shape = e.shape;
      if (
        typeof e.dtype !== 'string' ||
        e.dtype.length > 16 ||
        !Array.isArray(shape) ||
        shape.length > MAX_DIMENSIONS ||
        !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
        !Array.isArray(offsets) ||
        offsets.length !== 2 ||
        !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
        offsets[1] < offsets[0]
      ) {
        throw new CheckpointError(
          `${file}: bad safetensors header entry for "${name}": ${JSON.stringify(entry)}`,
          file,
        );
      }
      const record: TensorRecord = {
        name,
        file,
        dtype: e.dtype,
        shape: shape as number[],
        begin: dataStart + (offsets[0] as number),
        end: dataStart + (offsets[1] as number),
      };
      if (record.end > size) {
        throw new CheckpointError(
          `${file}: truncated safetensors file: tensor "${name}" ends at byte ${record.end}, file has ${size}`,
          file,
        );
      }
      const width = BYTES_PER_ELEMENT[e.dtype as StoredDType];
      const elements = record.shape.reduce((a, b) => a * b, 1);
      if (width !== undefined && elements * width !== record.end - record.begin) {
        throw new CheckpointError(
          `${file}: bad safetensors header: "${name}" has shape [${record.shape.join(', ')}] ${e.dtype} ` +
            `(${elements * width} bytes) but data_offsets span ${record.end - record.begin} bytes`,
          file,
        );
      }
      records.push(record);
    }
    checkContiguous(file, records, dataStart);
    // Nothing follows the last tensor in a safetensors file; a file padded out (a sparse 100 GB one) would
    // otherwise be read in full to hash it.
    const dataEnd = records.reduce((end, r) => Math.max(end, r.end), dataStart);
    if (size - dataEnd > MAX_TRAILING_BYTES) {
      throw new CheckpointError(
        `${file}: ${size - dataEnd} bytes follow the last tensor (which ends at byte ${dataEnd}); ` +
          `expected the file to end there`,
        file,
      );
    }
    return records;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The format lays the tensors out back to back from the end of the header: no tensor may share bytes with
 * another (one tensor aliased onto another scores as garbage) and no bytes may lie between two.
 */
function checkContiguous(file: string, records: readonly TensorRecord[], dataStart: number): void {
  const inFileOrder = [...records].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: TensorRecord | undefined;
  for (const record of inFileOrder) {
    const expectedBegin = previous?.end ?? dataStart;
    if (record.begin !== expectedBegin) {
      const relative = (at: number) => at - dataStart;
      const where = previous
        ? `tensor "${record.name}" begins at data byte ${relative(record.begin)}, but "${previous.name}" ends at ${relative(previous.end)}`
        : `the first tensor "${record.name}" begins at data byte ${relative(record.begin)}, not 0`;
      const what = record.begin < expectedBegin ? 'overlap' : 'leave a gap';
      throw new CheckpointError(
        `${file}: bad safetensors header: ${where} (their data_offsets ${what}); expected each tensor to begin where the one before it ends`,
        file,
      );
    }
    previous = record;
  }
}

/**
 * Byte offset of the first '{' or '[' that opens a level deeper than `maxDepth` (outside strings), or -1.
 * Strings are skipped with their escapes, so brackets inside tensor names do not count.
 */
export function firstByteDeeperThan(json: Uint8Array, maxDepth: number): number {
  const [QUOTE, BACKSLASH, OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET] = [34, 92, 123, 91, 125, 93];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const b = json[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return i;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return -1;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Reads one tensor's bytes from disk and widens them to float32. */
export function readTensorAsFloat32(record: TensorRecord): Float32Array {
  const dtype = record.dtype as StoredDType;
  if (BYTES_PER_ELEMENT[dtype] === undefined) {
    throw new CheckpointError(
      `${record.file}: tensor "${record.name}" has dtype ${record.dtype}; expected F32, F16 or BF16`,
      record.file,
    );
  }
  const length = record.end - record.begin;
  const widened = (length / BYTES_PER_ELEMENT[dtype]) * 4;
  if (widened > MAX_TENSOR_BYTES) {
    throw new CheckpointError(
      `${record.file}: tensor "${record.name}" [${record.shape.join(', ')}] would take ` +
        `${(widened / 2 ** 30).toFixed(1)} GiB as float32; RankLens reads tensors of at most ` +
        `${MAX_TENSOR_BYTES / 2 ** 30} GiB`,
      record.file,
    );
  }
  const raw = new Uint8Array(length);
  const fd = fs.openSync(record.file, 'r');
  try {
    let read = 0;
    while (read < length) {
      const n = fs.readSync(fd, raw, read, length - read, record.begin + read);
      if (n === 0) {
        throw new CheckpointError(`${record.file}: truncated while reading "${record.name}"`, record.file);
      }
      read += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return requireFinite(record, widen(raw, dtype));
}

/** Safetensors is little-endian, as is every platform onnxruntime-node ships for. */
function widen(raw: Uint8Array, dtype: StoredDType): Float32Array {
  const length = raw.length;
  if (dtype === 'F32') return new Float32Array(raw.buffer, 0, length / 4);
  const halves = new Uint16Array(raw.buffer, 0, length / 2);
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  } else {
    const table = halfLookup();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  }
  return out;
}

/**
 * A NaN or infinite weight makes every score that touches it NaN; refusing the tensor as it is read costs
 * one pass over memory that was just filled, far less than the read itself.
 */
function requireFinite(record: TensorRecord, values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is 0 for every finite v, NaN for NaN and ±Infinity.
    if (v - v !== 0) {
      throw new CheckpointError(
        `${record.file}: tensor "${record.name}" holds ${v} at element ${i} of ${values.length}; ` +
          `expected finite weights`,
        record.file,
      );
    }
  }
  return values;
}

/**
 * All tensors of a checkpoint folder: model.safetensors, or the shards named by
 * model.safetensors.index.json's weight_map.
 */
export function indexSafetensors(checkpointDir: string): Map<string, TensorRecord> {
  const single = path.join(checkpointDir, 'model.safetensors');
  const indexFile = path.join(checkpointDir, 'model.safetensors.index.json');
  const files: string[] = [];
  if (fs.existsSync(indexFile)) {
    let weightMap: unknown;
    try {
      weightMap = (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { weight_map?: unknown }).weight_map;
    } catch (e) {
      throw new CheckpointError(`${indexFile} is not valid JSON: ${(e as Error).message}`, indexFile);
    }
    if (typeof weightMap !== 'object' || weightMap === null) {
      throw new CheckpointError(`${indexFile}: no "weight_map" object`, indexFile);
    }
    for (const shard of new Set(Object.values(weightMap as Record<string, unknown>).map(String))) {
      const shardFile = path.join(checkpointDir, shard);
      if (path.dirname(path.resolve(shardFile)) !== path.resolve(checkpointDir)) {
        throw new CheckpointError(
          `${indexFile}: shard "${shard}" is outside the checkpoint folder`,
          indexFile,
        );
      }
      if (!fs.existsSync(shardFile)) {
        throw new CheckpointError(`${indexFile} names shard ${shard}, which is missing`, indexFile);
      }
      files.push(shardFile);
    }
  } else if (fs.existsSync(single)) {
    files.push(single);
  } else {
    const pickles = ['pytorch_model.bin', 'model.ckpt.index', 'tf_model.h5'].filter((f) =>
      fs.existsSync(path.join(checkpointDir, f)),
    );
    if (pickles.includes('pytorch_model.bin')) {
      throw new CheckpointError(
        `${checkpointDir} has only pytorch_model.bin, a Python pickle; RankLens never executes pickles. ` +
          `Convert it to safetensors first, e.g. with transformers: ` +
          `AutoModelForSequenceClassification.from_pretrained(DIR).save_pretrained(DIR, safe_serialization=True)`,
        path.join(checkpointDir, 'pytorch_model.bin'),
      );
    }
    throw new CheckpointError(
      `${checkpointDir} has no model.safetensors or model.safetensors.index.json` +
        (pickles.length ? ` (found ${pickles.join(', ')}; convert to safetensors)` : ''),
      single,
    );
  }
  const records = new Map<string, TensorRecord>();
  for (const file of files) {
    for (const record of readSafetensorsHeader(file)) records.set(record.name, record);
  }
  return records;
}
