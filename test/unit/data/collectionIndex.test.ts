import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  appendFileSync,
  readFileSync,
  writeFileSync,
  openSync,
  ftruncateSync,
  closeSync,
  utimesSync,
} from 'node:fs';
import * as path from 'node:path';
import { CollectionIndex, DataError } from '../../../src/core/data';
import { sharedFile } from '../../support/paths';
import { tempDir, tempFile } from '../../support/tempFiles';

const DL19 = () => sharedFile('msmarco', 'dl19', 'collection.dl19-relevant.tsv');

/** Independent reference: split the whole file in memory. */
function passagesInMemory(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}

async function rejectsWith(
  promise: Promise<unknown>,
  line: number | undefined,
  pattern: RegExp,
): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.equal(error.line, line, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected a DataError');
}

describe('CollectionIndex on real MS MARCO passages', () => {
  it('indexes the DL19 collection and reads every passage back exactly', async () => {
    const expected = passagesInMemory(DL19());
    const index = await CollectionIndex.open(DL19());
    assert.equal(index.size, 4103);
    assert.equal(index.size, expected.size);
    const pids = [...expected.keys()];
    const got = await index.getMany(pids);
    got.forEach((p, i) => assert.equal(p?.text, expected.get(pids[i]), `pid ${pids[i]}`));
    assert.equal(await index.get('99999999999'), undefined);
    assert.equal(index.has('not-a-pid'), false);
    assert.match((await index.get('0'))?.text ?? '', /Manhattan Project/);
  });

  it('splits lines on \\n only: U+0085 inside dev passages stays text', async () => {
    const file = sharedFile('msmarco', 'dev_small', 'collection.dev-small-relevant-subset.tsv');
    const index = await CollectionIndex.open(file);
    assert.equal(index.size, passagesInMemory(file).size);
    const withNel = [...passagesInMemory(file)].find(([, text]) => text.includes('\u0085'));
    assert.ok(withNel, 'the real file has a passage with U+0085');
    assert.equal((await index.get(withNel[0]))?.text, withNel[1]);
  });

  it('persists the index, reuses it, and rebuilds it when the file changes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'collection.tsv');
    writeFileSync(file, readFileSync(DL19()));
    const indexDir = path.join(dir, 'indexes');
    const first = await CollectionIndex.open(file, { indexDir });
    assert.equal(first.fromCache, false);
    const second = await CollectionIndex.open(file, { indexDir });
    assert.equal(second.fromCache, true);
    assert.equal((await second.get('0'))?.text, (await first.get('0'))?.text);
    appendFileSync(file, '123456789\tan appended passage\n');
    const third = await CollectionIndex.open(file, { indexDir });
    assert.equal(third.fromCache, false);
    assert.equal((await third.get('123456789'))?.text, 'an appended passage');
  });

  it('notices an edit that keeps the size and the modification time', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'collection.tsv');
    writeFileSync(file, '1\talpha\n2\tbravo\n');
    const indexDir = path.join(dir, 'indexes');
    await CollectionIndex.open(file, { indexDir });
    const { mtime } = await import('node:fs').then((fs) => fs.statSync(file));
    writeFileSync(file, '1\talpha\n3\tbravo\n');
    utimesSync(file, mtime, mtime);
    const reopened = await CollectionIndex.open(file, { indexDir });
    assert.equal(reopened.fromCache, false);
    assert.equal((await reopened.get('3'))?.text, 'bravo');
  });

  it('sorts unsorted pids and supports non-numeric ids such as MS MARCO document ids', async () => {
    const unsorted = await CollectionIndex.open(tempFile('c.tsv', '30\tc\n10\ta\n20\tb\n'));
    assert.deepEqual(
      [0, 1, 2].map((i) => unsorted.idAt(i)),
      ['10', '20', '30'],
    );
    assert.equal((await unsorted.get('20'))?.text, 'b');
    const docs = await CollectionIndex.open(tempFile('docs.tsv', 'D2\tsecond\r\nD1\tfirst\r\n007\tbond\n'));
    assert.equal((await docs.get('D1'))?.text, 'first');
    assert.equal((await docs.get('007'))?.text, 'bond');
    assert.equal(await docs.get('7'), undefined);
  });

  it('skips blank lines and reads a last line without a newline', async () => {
    const index = await CollectionIndex.open(tempFile('c.tsv', '1\tone\n\n2\ttwo'));
    assert.equal(index.size, 2);
    assert.equal((await index.get('2'))?.text, 'two');
  });
});

describe('CollectionIndex on bad input', () => {
  it('names the line of a line without a tab', async () => {
    await rejectsWith(
      CollectionIndex.open(tempFile('c.tsv', '1\tone\n2 two\n')),
      2,
      /c\.tsv:2: expected a passage line "pid<TAB>passage text", found no tab/,
    );
  });

  it('names both lines of a duplicate pid', async () => {
    await rejectsWith(
      CollectionIndex.open(tempFile('c.tsv', '1\tone\n2\ttwo\n1\tuno\n')),
      3,
      /pid 1 again \(first on line 1\)/,
    );
    await rejectsWith(
      CollectionIndex.open(tempFile('c.tsv', 'a\tone\nb\ttwo\nb\tdos\n')),
      3,
      /pid b again \(first on line 2\)/,
    );
  });

  it('names the line and column of a byte that is not UTF-8, and leaves the file as it was', async () => {
    const bytes = Buffer.concat([
      Buffer.from('1\tfine\n2\tcaf'),
      Buffer.from([0xe9]),
      Buffer.from(' latin-1\n'),
    ]);
    const file = tempFile('c.tsv', bytes);
    await rejectsWith(CollectionIndex.open(file), 2, /UTF-8 text, found byte 0xe9 at column 6/);
    assert.deepEqual(readFileSync(file), bytes);
  });

  it('says so for an empty file, a missing file, a folder and an empty pid', async () => {
    await rejectsWith(CollectionIndex.open(tempFile('c.tsv', '')), undefined, /an empty file/);
    await rejectsWith(CollectionIndex.open(path.join(tempDir(), 'nope.tsv')), undefined, /no such file/);
    await rejectsWith(CollectionIndex.open(tempDir()), undefined, /a directory/);
    await rejectsWith(CollectionIndex.open(tempFile('c.tsv', '\tno pid\n')), 1, /an empty pid/);
  });

  it('refuses a 3 GB file without line breaks (binary) after reading 64 MiB, not 3 GB', async () => {
    const file = path.join(tempDir(), 'collection.tsv');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 3 * 1024 ** 3); // sparse: takes no disk space
    closeSync(fd);
    const before = process.memoryUsage().rss;
    await rejectsWith(CollectionIndex.open(file), 1, /shorter than 64 MiB.*binary file/);
    assert.ok(process.memoryUsage().rss - before < 600 * 1024 ** 2, 'memory stayed bounded');
  });
});
