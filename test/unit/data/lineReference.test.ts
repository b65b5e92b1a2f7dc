import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CollectionIndex,
  readQrels,
  readQueries,
  readRun,
  referenceOfLine,
  type LineReference,
} from '../../../src/core/data';
import { sharedFile } from '../../support/paths';

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n');
const refs = (role: Parameters<typeof referenceOfLine>[0], file: string) =>
  lines(file).map((line) => referenceOfLine(role, line));

describe('referenceOfLine: the ids on a line agree with the file readers', () => {
  it('TREC run lines (real DL19 BM25 top-100): every (qid, pid, rank, score) the reader has', async () => {
    const file = sharedFile('msmarco', 'dl19_bm25_top100', 'run.dl19.bm25-top100.trec');
    const run = await readRun(file);
    const fromLines = refs('run', file).filter(
      (r): r is Extract<LineReference, { kind: 'candidate' }> => !!r,
    );
    assert.equal(
      fromLines.length,
      [...run.rankings.values()].reduce((n, r) => n + r.length, 0),
    );
    for (const r of fromLines) {
      assert.equal(r.format, 'trec');
      const candidate = run.rankings.get(r.qid)?.find((c) => c.pid === r.pid);
      assert.ok(candidate, `${r.qid}/${r.pid}`);
      assert.equal(candidate.rank, r.rank);
      assert.equal(candidate.score, Math.fround(r.score ?? NaN));
    }
  });

  it('MS MARCO run lines (real pygaggle dev run) and top1000 lines built from real texts', async () => {
    const file = sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv');
    const run = await readRun(file);
    const fromLines = refs('run', file).filter((r) => r !== undefined);
    assert.ok(fromLines.length > 1000);
    for (const r of fromLines) {
      assert.equal(r.kind, 'candidate');
      if (r.kind !== 'candidate') continue;
      assert.equal(run.rankings.get(r.qid)?.find((c) => c.pid === r.pid)?.rank, r.rank);
    }
    const query = lines(sharedFile('msmarco', 'dl19', 'queries.dl19.tsv'))[0].split('\t');
    const passage = lines(sharedFile('msmarco', 'dl19', 'collection.dl19-relevant.tsv'))[0].split('\t');
    const line = `${query[0]}\t${passage[0]}\t${query[1]}\t${passage[1]}`;
    const top1000 = referenceOfLine('run', line);
    assert.deepEqual(top1000, {
      kind: 'candidate',
      format: 'top1000',
      qid: query[0],
      pid: passage[0],
      query: query[1],
      passage: passage[1],
      textStart: line.indexOf(passage[1]),
    });
    // The reader agrees on the ids of a file of such lines.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'line-ref-'));
    try {
      fs.writeFileSync(path.join(dir, 'top1000.dev'), line + '\n');
      const read = await readRun(path.join(dir, 'top1000.dev'));
      assert.deepEqual(
        [...read.rankings.get(query[0])!].map((c) => c.pid),
        [passage[0]],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('qrels lines, four columns and two (real DL19 qrels): the grades the reader has', async () => {
    const file = sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt');
    const qrels = await readQrels(file);
    const fromLines = refs('qrels', file).filter((r) => r !== undefined);
    assert.equal(fromLines.length, qrels.count);
    for (const r of fromLines) {
      assert.equal(r.kind, 'judgement');
      if (r.kind === 'judgement') assert.equal(qrels.judgements.get(r.qid)?.get(r.pid), r.grade);
    }
    assert.deepEqual(referenceOfLine('qrels', '1048585\t7187158'), {
      kind: 'judgement',
      qid: '1048585',
      pid: '7187158',
      grade: 1,
    });
  });

  it('collection lines: pid and the exact passage text, with its offset in the line', async () => {
    const file = sharedFile('msmarco', 'dl19', 'collection.dl19-relevant.tsv');
    const index = await CollectionIndex.open(file);
    for (const line of lines(file).slice(0, 300)) {
      const r = referenceOfLine('collection', line);
      if (!r) continue;
      assert.equal(r.kind, 'passage');
      if (r.kind !== 'passage') continue;
      assert.equal(r.text, (await index.get(r.pid))?.text);
      assert.equal(line.slice(r.textStart), r.text);
    }
  });

  it('queries lines: qid and text as the reader has them', async () => {
    const file = sharedFile('msmarco', 'dl19', 'queries.dl19.tsv');
    const queries = await readQueries(file);
    for (const r of refs('queries', file)) {
      if (!r) continue;
      assert.equal(r.kind === 'query' && queries.texts.get(r.qid), r.kind === 'query' ? r.text : '');
    }
  });

  it('blank, malformed and CRLF lines', () => {
    for (const role of ['collection', 'queries', 'qrels', 'run'] as const) {
      assert.equal(referenceOfLine(role, ''), undefined);
      assert.equal(referenceOfLine(role, '   '), undefined);
    }
    assert.equal(referenceOfLine('collection', 'no tab here'), undefined);
    assert.equal(referenceOfLine('qrels', '1 0 2'), undefined);
    assert.equal(referenceOfLine('qrels', '1 0 2 relevant'), undefined);
    assert.equal(referenceOfLine('run', '1 Q0 2 first 3.5 tag'), undefined);
    assert.deepEqual(referenceOfLine('run', '12\t34\t5\r'), {
      kind: 'candidate',
      format: 'msmarco',
      qid: '12',
      pid: '34',
      rank: 5,
    });
  });
});
