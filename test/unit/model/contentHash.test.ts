import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../support/tempFiles';
import { contentHash, sha256OfFile } from '../../../src/core/model/contentHash';

const dir = tempDir('hash');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('content hash', () => {
  it('covers every byte of a file larger than one 8 MiB read', () => {
    // 9 MiB: the last MiB is past the first read, where a checkpoint's classifier weights usually are.
    const bytes = Buffer.alloc(9 * 2 ** 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    const file = path.join(dir, 'nine-mib.bin');
    fs.writeFileSync(file, bytes);
    const whole = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.equal(sha256OfFile(file), whole);
    assert.equal(contentHash(file), whole);
    assert.equal(contentHash(file, path.join(dir, 'memo')), whole);

    // A change in the last byte changes the hash.
    bytes[bytes.length - 1] ^= 1;
    const changedFile = path.join(dir, 'nine-mib-changed.bin');
    fs.writeFileSync(changedFile, bytes);
    const changed = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.notEqual(changed, whole);
    assert.equal(contentHash(changedFile), changed);
  });
});
