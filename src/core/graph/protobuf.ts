import * as fs from 'node:fs';

/**
 * Bytes that are only materialised when the message is written out, so a 1.3 GB checkpoint can be
 * encoded into an ONNX file one tensor at a time instead of holding the whole model twice in memory.
 */
export interface LazyBytes {
  readonly byteLength: number;
  produce(): Uint8Array;
}

export type ProtoPart = Uint8Array | LazyBytes;

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** A minimal protobuf (proto3 wire format) writer: fields are appended in the order they are written. */
export class ProtoWriter {
  private readonly parts: ProtoPart[] = [];
  private small: number[] = [];
  private flushedLength = 0;

  get byteLength(): number {
    return this.flushedLength + this.small.length;
  }

  uint64(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** int64 fields: negative values are sent as their 64-bit two's complement (10 bytes). */
  int64(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  float32(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    for (const b of bytes) this.small.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  bytes(field: number, data: Uint8Array | LazyBytes): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(data.byteLength);
    if (data instanceof Uint8Array && data.byteLength < 256) {
      for (const b of data) this.small.push(b);
    } else {
      this.pushPart(data);
    }
    return this;
  }

  message(field: number, inner: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(inner.byteLength);
    for (const part of inner.finish()) this.pushPart(part);
    return this;
  }

  packedInt64(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(BigInt.asUintN(64, BigInt(v)));
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(inner.byteLength);
    for (const part of inner.finish()) this.pushPart(part);
    return this;
  }

  /** The encoded message as parts (small ones merged); lazy parts stay lazy. */
  finish(): ProtoPart[] {
    this.flushSmall();
    return this.parts.slice();
  }

  /** Everything in one buffer: for small models and tests. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const part of this.finish()) {
      const bytes = part instanceof Uint8Array ? part : produceChecked(part);
      out.set(bytes, offset);
      offset += bytes.byteLength;
    }
    return out;
  }

  /** Streams the message into a file, materialising lazy parts one at a time. */
  writeToFile(file: string): void {
    const fd = fs.openSync(file, 'w');
    try {
      for (const part of this.finish()) {
        const bytes = part instanceof Uint8Array ? part : produceChecked(part);
        let written = 0;
        while (written < bytes.byteLength) {
          written += fs.writeSync(fd, bytes, written, bytes.byteLength - written);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private varint(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      let v = value;
      while (v > 127) {
        this.small.push((v % 128) | 128);
        v = Math.floor(v / 128);
      }
      this.small.push(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 127n) {
      this.small.push(Number(v & 127n) | 128);
      v >>= 7n;
    }
    this.small.push(Number(v));
  }

  private pushPart(part: ProtoPart): void {
    this.flushSmall();
    this.parts.push(part);
    this.flushedLength += part.byteLength;
  }

  private flushSmall(): void {
    if (this.small.length === 0) return;
    this.parts.push(Uint8Array.from(this.small));
    this.flushedLength += this.small.length;
    this.small = [];
  }
}

function produceChecked(part: LazyBytes): Uint8Array {
  const bytes = part.produce();
  if (bytes.byteLength !== part.byteLength) {
    throw new Error(
      `internal: lazy protobuf part promised ${part.byteLength} bytes but produced ${bytes.byteLength}`,
    );
  }
  return bytes;
}
