// readRun holds runs as typed arrays (interned pids, per-query offsets); what it hands out must be exactly
// what a plain reading of the file gives, on real runs and on pids that are not plain numbers.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DataError, readRun, type RankedCandidate } from '../../../src/core/data';
import { sharedFile } from '../../support/paths';
import { tempFile } from '../../support/tempFiles';

/** An independent reading: objects per line, grouped by qid, ordered as each format prescribes. */
function referenceRankings(text: string): Map<string, RankedCandidate[]> {
  const byQuery = new Map<string, { pid: string; rank: number; score: number }[]>();
  let format: 'trec' | 'msmarco' | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const trec = line.trim().split(/\s+/);
    format ??= trec.length === 6 ? 'trec' : 'msmarco';
    const [qid, pid, rank, score] =
      format === 'trec'
        ? [trec[0], trec[2], Number(trec[3]), Math.fround(Number(trec[4]))]
        : [...line.split('\t').slice(0, 2), Number(line.split('\t')[2]), NaN];
    if (!byQuery.has(qid as string)) byQuery.set(qid as string, []);
    byQuery.get(qid as string)!.push({ pid: pid as string, rank: rank as number, score: score as number });
  }
  const out = new Map<string, RankedCandidate[]>();
  for (const [qid, list] of byQuery) {
    if (format === 'trec') {
      list.sort((a, b) => b.score - a.score || (a.pid < b.pid ? 1 : a.pid > b.pid ? -1 : 0));
      out.set(
        qid,
        list.map((c, i) => ({ pid: c.pid, rank: i + 1, score: c.score })),
      );
    } else {
      list.sort((a, b) => a.rank - b.rank);
      out.set(
        qid,
        list.map((c) => ({ pid: c.pid, rank: c.rank })),
      );
    }
  }
  return out;
}

async function expectSameAsReference(file: string): Promise<number> {
  const run = await readRun(file);
  const expected = referenceRankings(readFileSync(file, 'utf8'));
  assert.deepEqual([...run.rankings.keys()], [...expected.keys()], 'queries in first-seen order');
  assert.equal(run.rankings.size, expected.size);
  for (const [qid, ranking] of expected) assert.deepEqual(run.rankings.get(qid), ranking, `qid ${qid}`);
  assert.deepEqual(new Map(run.rankings), expected, 'entries() / iteration');
  assert.deepEqual([...run.rankings.values()], [...expected.values()]);
  let visited = 0;
  run.rankings.forEach((ranking, qid) => {
    assert.deepEqual(ranking, expected.get(qid));
    visited++;
  });
  assert.equal(visited, expected.size);
  assert.equal(run.rankings.get('no such qid'), undefined);
  assert.equal(run.rankings.has('no such qid'), false);
  return [...expected.values()].reduce((n, r) => n + r.length, 0);
}

describe('compact runs', () => {
  it('give exactly the plain reading of the real DL19 BM25 TREC run (ties at float precision included)', async () => {
    const candidates = await expectSameAsReference(
      sharedFile('msmarco', 'dl19_bm25_top100', 'run.dl19.bm25-top100.trec'),
    );
    assert.equal(candidates, 4300);
  });

  it('give exactly the plain reading of the real MS MARCO dev BM25 run', async () => {
    await expectSameAsReference(sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'));
  });

  it('keep pids that are not plain numbers as written: leading zeros, huge numbers, docnos', async () => {
    const text = [
      '7\t007\t1',
      '7\t7\t2',
      '7\t4294967296\t3',
      '7\tclueweb09-en0000-00-00001\t4',
      '8\t2147483647\t2',
      '8\t2147483648\t1',
      '8\t0\t3',
    ].join('\n');
    await expectSameAsReference(tempFile('run.tsv', text));
  });

  it('names the first line in file order that repeats a pid within a query, with the pid as written', async () => {
    const text = ['1\t10\t1', '2\t0042\t1', '1\t11\t2', '2\t0042\t2', '1\t10\t3'].join('\n');
    const error = await readRun(tempFile('run.tsv', text)).then(
      () => assert.fail('accepted a repeated pid'),
      (e: unknown) => e as DataError,
    );
    assert.ok(error instanceof DataError);
    assert.equal(error.line, 4);
    assert.match(error.message, /pid 0042 again for qid 2 \(first on line 2\)/);
  });
});
