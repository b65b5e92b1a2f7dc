import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProtoWriter } from '../../../src/core/graph/protobuf';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints, negative int64s, floats, strings and nested messages per the wire format', () => {
    assert.equal(hex(new ProtoWriter().uint64(1, 150).toBytes()), '089601');
    assert.equal(hex(new ProtoWriter().int64(3, -1).toBytes()), '18ffffffffffffffffff01');
    assert.equal(hex(new ProtoWriter().uint64(2, 2 ** 40).toBytes()), '10808080808020');
    assert.equal(hex(new ProtoWriter().float32(2, 1).toBytes()), '150000803f');
    assert.equal(hex(new ProtoWriter().string(1, 'ab').toBytes()), '0a026162');
    const inner = new ProtoWriter().uint64(1, 1);
    assert.equal(hex(new ProtoWriter().message(7, inner).toBytes()), '3a020801');
    assert.equal(
      hex(new ProtoWriter().packedInt64(1, [3, 270, -1]).toBytes()),
      '0a0d038e02ffffffffffffffffff01',
    );
  });

  it('keeps large payloads lazy until written, and file and memory output agree', () => {
    let produced = 0;
    const big = {
      byteLength: 1000,
      produce: () => {
        produced++;
        return new Uint8Array(1000).fill(7);
      },
    };
    const w = new ProtoWriter().string(1, 'x').message(2, new ProtoWriter().bytes(9, big).uint64(2, 1));
    assert.equal(produced, 0);
    assert.equal(w.byteLength, 3 + 3 + 3 + 1000 + 2);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-pb-')), 'm.bin');
    w.writeToFile(file);
    assert.equal(produced, 1);
    const fromFile = fs.readFileSync(file);
    assert.deepEqual(new Uint8Array(fromFile), w.toBytes());
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('refuses a lazy part that produces a different length than promised', () => {
    const w = new ProtoWriter().bytes(1, { byteLength: 300, produce: () => new Uint8Array(299) });
    assert.throws(() => w.toBytes(), /promised 300 bytes but produced 299/);
  });
});
