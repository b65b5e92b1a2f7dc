import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import {
  DataError,
  classifyFiles,
  discoverDatasetFiles,
  loadDataset,
  queryText,
  readQrels,
  readQueries,
  readRun,
} from '../../../src/core/data';
import { sharedFile } from '../../support/paths';
import { tempDir, tempFile } from '../../support/tempFiles';

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataError, String(error));
    return error;
  }
  assert.fail('expected a DataError');
}

describe('queries', () => {
  it('reads the real DL19 and dev queries', async () => {
    const dl19 = await readQueries(sharedFile('msmarco', 'dl19', 'queries.dl19.tsv'));
    assert.equal(dl19.texts.size, 43);
    const dev = await readQueries(sharedFile('msmarco', 'dev_small', 'queries.dev.small.tsv'));
    assert.equal(dev.texts.size, 6980);
  });
  it('names the line of a missing tab and of a repeated qid', async () => {
    const noTab = await dataError(readQueries(tempFile('q.tsv', '1\ta\n2 b\n')));
    assert.equal(noTab.line, 2);
    const twice = await dataError(readQueries(tempFile('q.tsv', '1\ta\n2\tb\n1\tc\n')));
    assert.equal(twice.line, 3);
    assert.match(twice.message, /qid 1 again \(first on line 1\)/);
  });
});

describe('qrels', () => {
  it('reads TREC (space) and tab-separated qrels with grades', async () => {
    const dl19 = await readQrels(sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt'));
    assert.equal(dl19.count, 9260);
    assert.equal(dl19.judgements.size, 43);
    const tabbed = await readQrels(sharedFile('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv'));
    assert.equal(tabbed.count, 114);
    assert.equal(tabbed.judgements.get('352818')?.get('7072358'), 1);
    const twoColumns = await readQrels(tempFile('qrels.tsv', '1\t10\n1\t11\n'));
    assert.equal(twoColumns.judgements.get('1')?.get('11'), 1);
  });
  it('refuses a conflicting grade, a bad grade and a wrong column count, naming the line', async () => {
    const conflict = await dataError(readQrels(tempFile('qrels.txt', '1 0 10 1\n1 0 10 2\n')));
    assert.equal(conflict.line, 2);
    assert.match(conflict.message, /line 1 grades 1/);
    assert.equal((await dataError(readQrels(tempFile('qrels.txt', '1 0 10 x\n')))).line, 1);
    assert.match(
      (await dataError(readQrels(tempFile('qrels.txt', '1 0 10 1\n1 0 10\n')))).message,
      /qrels.txt:2: expected a qrels line/,
    );
  });
});

describe('runs', () => {
  it('reads the MS MARCO run and orders by the rank column', async () => {
    const run = await readRun(sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'));
    assert.equal(run.format, 'msmarco');
    assert.equal(run.rankings.size, 105);
    assert.equal(run.rankings.get('188714')?.[0].pid, '2133570');
    const shuffled = await readRun(tempFile('run.tsv', '1\t30\t3\n1\t10\t1\n1\t20\t2\n'));
    assert.deepEqual(
      shuffled.rankings.get('1')?.map((c) => c.pid),
      ['10', '20', '30'],
    );
  });
  it('orders TREC runs as trec_eval does: score descending, ties by docno descending, at float precision', async () => {
    const run = await readRun(
      tempFile(
        'run.trec',
        [
          '1 Q0 a 1 2.0 t',
          '1 Q0 b 2 2.0 t',
          '1 Q0 c 3 3.0 t',
          '1 Q0 d 4 1.00000001 t',
          '1 Q0 e 5 1.0 t',
        ].join('\n'),
      ),
    );
    assert.equal(run.format, 'trec');
    assert.equal(run.tag, 't');
    // 1.00000001 and 1.0 are the same C float, so "e" > "d" wins the tie.
    assert.deepEqual(
      run.rankings.get('1')?.map((c) => c.pid),
      ['c', 'b', 'a', 'e', 'd'],
    );
  });
  it('reads top1000 files in file order', async () => {
    const run = await readRun(tempFile('top1000.dev', '1\t20\tq one\tpassage b\n1\t10\tq one\tpassage a\n'));
    assert.equal(run.format, 'top1000');
    assert.deepEqual(
      run.rankings.get('1')?.map((c) => [c.pid, c.rank]),
      [
        ['20', 1],
        ['10', 2],
      ],
    );
  });
  it('names the line of an unknown format, a repeated pid, a repeated rank and a changed format', async () => {
    assert.match(
      (await dataError(readRun(tempFile('run.tsv', 'just words\n')))).message,
      /run.tsv:1: expected a run line/,
    );
    const repeated = await dataError(readRun(tempFile('run.tsv', '1\t10\t1\n1\t10\t2\n')));
    assert.equal(repeated.line, 2);
    const rank = await dataError(readRun(tempFile('run.tsv', '1\t10\t1\n1\t11\t1\n')));
    assert.match(rank.message, /rank 1 twice for qid 1/);
    const mixed = await dataError(readRun(tempFile('run.tsv', '1\t10\t1\n1 Q0 11 2 1.5 t\n')));
    assert.equal(mixed.line, 2);
    assert.match((await dataError(readRun(tempFile('run.tsv', '')))).message, /an empty file/);
  });
});

describe('datasets', () => {
  it('discovers files by their MS MARCO names and cross-checks them', async () => {
    const folder = tempDir();
    copyFileSync(
      sharedFile('msmarco', 'dl19', 'collection.dl19-relevant.tsv'),
      path.join(folder, 'collection.tsv'),
    );
    copyFileSync(sharedFile('msmarco', 'dl19', 'queries.dl19.tsv'), path.join(folder, 'queries.dl19.tsv'));
    copyFileSync(
      sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt'),
      path.join(folder, 'qrels.dl19-passage.txt'),
    );
    writeFileSync(path.join(folder, 'run.bm25.tsv'), '19335\t0\t1\n999\t0\t1\n');
    writeFileSync(path.join(folder, 'notes.md'), '# not data\n');
    mkdirSync(path.join(folder, 'sub'));
    const files = await discoverDatasetFiles(folder);
    assert.equal(path.basename(files.collection ?? ''), 'collection.tsv');
    assert.deepEqual(
      files.runs.map((f) => path.basename(f)),
      ['run.bm25.tsv'],
    );
    const dataset = await loadDataset(files);
    assert.equal(dataset.errors.length, 0);
    assert.equal(queryText(dataset, '19335'), 'anthropological definition of environment');
    const messages = dataset.issues.map((i) => i.message).join('\n');
    assert.match(messages, /1 ranked qid\(s\) have no query text \(first: qid 999\)/);
    // DL19's grade-0 passages are not in the shared collection (see PROVENANCE.md): 9260 - 4102 judged pids are missing.
    assert.match(messages, /5158 of 9260 judged pids are not in the collection/);
  });
  it('keeps loading the other files when one is broken', async () => {
    const broken = tempFile('queries.tsv', 'no tab here\n');
    const dataset = await loadDataset(
      classifyFiles([broken, sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt')]),
    );
    assert.equal(dataset.errors.length, 1);
    assert.equal(dataset.errors[0].line, 1);
    assert.equal(dataset.qrels.length, 1);
  });
  it('refuses two collections in one folder and a missing folder', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'collection.a.tsv'), '1\ta\n');
    writeFileSync(path.join(folder, 'collection.b.tsv'), '1\tb\n');
    assert.match(
      (await dataError(discoverDatasetFiles(folder))).message,
      /one collection file per dataset folder/,
    );
    assert.match(
      (await dataError(discoverDatasetFiles(path.join(folder, 'nope')))).message,
      /no such folder/,
    );
  });
});
