import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { firstInvalidUtf8Byte, scanLines } from '../../../src/core/data';
import { tempDir } from '../../support/tempFiles';

describe('scanLines', () => {
  it('yields exactly the lines of a 9 MB file whose lines and multi-byte characters straddle the 4 MiB chunks', async () => {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 9 * 1024 * 1024; i++) {
      // Lines of varying length with 2-, 3- and 4-byte characters, some with \r\n endings and some empty.
      const line = i % 97 === 0 ? '' : `${i}\t${'é€😀x'.repeat(i % 53)}${'a'.repeat(i % 389)}`;
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    const text = lines.map((l, i) => (i % 5 === 0 ? `${l}\r\n` : `${l}\n`)).join('');
    const file = path.join(tempDir(), 'big.tsv');
    writeFileSync(file, text);
    const seen: string[] = [];
    const offsets: number[] = [];
    const progress: number[] = [];
    const result = await scanLines(
      file,
      (line) => {
        seen.push(line.buffer.toString('utf8', line.start, line.end));
        offsets.push(line.fileOffset);
        assert.equal(line.lineNumber, seen.length);
      },
      { onProgress: (p) => progress.push(p.done) },
    );
    assert.equal(result.lines, lines.length);
    assert.deepEqual(seen, lines);
    // Every offset points at the start of its line in the file.
    const bytes = Buffer.from(text);
    for (const k of [1, 1000, lines.length - 1]) {
      assert.equal(bytes.toString('utf8', offsets[k], offsets[k] + Buffer.byteLength(lines[k])), lines[k]);
    }
    assert.equal(progress.at(-1), bytes.length);
  });

  it('stops when cancelled', async () => {
    const file = path.join(tempDir(), 'c.tsv');
    writeFileSync(file, 'x\n'.repeat(10));
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(
      scanLines(file, () => undefined, { signal: abort.signal }),
      /cancelled/,
    );
  });
});

describe('firstInvalidUtf8Byte', () => {
  it('agrees with a strict TextDecoder on valid and invalid sequences', () => {
    const cases: number[][] = [
      [0x61, 0x62],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0x61, 0xe9, 0x62], // latin-1 é
      [0xc0, 0x80], // overlong NUL
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // truncated
      [0x80],
    ];
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (const bytes of cases) {
      const valid = (() => {
        try {
          strict.decode(Uint8Array.from(bytes));
          return true;
        } catch {
          return false;
        }
      })();
      assert.equal(
        firstInvalidUtf8Byte(Uint8Array.from(bytes)) === -1,
        valid,
        bytes.map((b) => b.toString(16)).join(' '),
      );
    }
    assert.equal(firstInvalidUtf8Byte(Uint8Array.from([0x61, 0x62, 0xe9, 0x63])), 2);
  });
});
