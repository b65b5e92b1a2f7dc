import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readQrels, readRun } from '../../../src/core/data';
import { evaluateRun, ndcgAt } from '../../../src/core/eval';
import { sharedFile } from '../../support/paths';
import { tempFile } from '../../support/tempFiles';

describe('metrics against the official tools', () => {
  it('MRR@10 of the pygaggle BM25 run matches its published 0.159 (0.15906651549508694)', async () => {
    const run = await readRun(sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'));
    const qrels = await readQrels(sharedFile('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv'));
    const result = evaluateRun(run, qrels);
    assert.equal(result.mrr.toFixed(3), '0.159');
    assert.ok(Math.abs(result.mrr - 0.15906651549508694) < 1e-12, String(result.mrr));
    assert.equal(result.queriesEvaluated, 105);
    // pygaggle's "R@1000 0.8476" counts queries with any relevant passage in the top 1000 (89 of 105).
    const anyFound = result.perQuery.filter(
      (q) => q.firstRelevantRank !== undefined && q.firstRelevantRank <= 1000,
    ).length;
    assert.equal(anyFound, 89);
  });

  it('MRR divides by every judged query; nDCG and recall by those the run ranks (trec_eval without -c)', async () => {
    const qrels = await readQrels(tempFile('qrels.txt', '1 0 a 1\n2 0 b 1\n3 0 c 1\n4 0 d 1\n'));
    const run = await readRun(tempFile('run.tsv', '1\ta\t1\n2\tx\t1\n2\tb\t2\n3\tc\t11\n5\tz\t1\n'));
    const r = evaluateRun(run, qrels);
    assert.equal(r.mrr, (1 + 0.5 + 0) / 4);
    assert.equal(r.queriesEvaluated, 3);
    assert.equal(r.queriesMissingFromRun, 1);
    assert.equal(r.queriesWithoutJudgements, 1);
    assert.equal(r.recall['100'], 1);
    const expectedNdcg = (1 + 1 / Math.log2(3) + 0) / 3;
    assert.ok(Math.abs(r.ndcg - expectedNdcg) < 1e-15);
  });

  it('nDCG@10 uses graded linear gains and an ideal ranking from every judged passage', () => {
    const grades = new Map([
      ['a', 3],
      ['b', 0],
      ['c', 2],
      ['d', 1],
      ['e', 3],
    ]);
    const ranking = ['b', 'c', 'a', 'x'].map((pid, i) => ({ pid, rank: i + 1 }));
    const dcg = 0 / Math.log2(2) + 2 / Math.log2(3) + 3 / Math.log2(4);
    const idcg = 3 / Math.log2(2) + 3 / Math.log2(3) + 2 / Math.log2(4) + 1 / Math.log2(5);
    assert.ok(Math.abs(ndcgAt(ranking, grades, 10) - dcg / idcg) < 1e-15);
    assert.equal(ndcgAt(ranking, grades, 1), 0);
  });

  it('a minimum relevance of 2 (TREC DL convention) ignores grade-1 passages for MRR and recall only', async () => {
    const qrels = await readQrels(tempFile('qrels.txt', '1 0 a 1\n1 0 b 2\n'));
    const run = await readRun(tempFile('run.tsv', '1\ta\t1\n1\tb\t2\n'));
    assert.equal(evaluateRun(run, qrels).mrr, 1);
    const strict = evaluateRun(run, qrels, { minRelevance: 2 });
    assert.equal(strict.mrr, 0.5);
    assert.equal(strict.recall['100'], 1);
    assert.equal(strict.ndcg, evaluateRun(run, qrels).ndcg);
  });

  // Cut-offs: "rank <= 10" for MRR@10 and "rank > 10 stops" for nDCG@10; moving either by one must fail here.
  const runAt = (rows: [string, string, number][]) =>
    readRun(tempFile('run.tsv', rows.map(([q, p, r]) => `${q}\t${p}\t${r}`).join('\n') + '\n'));
  const filler = (qid: string, count: number) =>
    Array.from({ length: count }, (_, i): [string, string, number] => [qid, `n${i}`, i + 1]);

  it('MRR@10 counts a first relevant passage at rank 10 and not one at rank 11', async () => {
    const qrels = await readQrels(tempFile('qrels.txt', '1 0 r 1\n2 0 s 1\n'));
    const run = await runAt([...filler('1', 9), ['1', 'r', 10], ...filler('2', 10), ['2', 's', 11]]);
    const r = evaluateRun(run, qrels);
    const [q1, q2] = r.perQuery;
    assert.equal(q1.reciprocalRank, 1 / 10);
    assert.equal(q2.reciprocalRank, 0);
    assert.equal(q2.firstRelevantRank, 11, 'found, but past the cut-off');
    assert.equal(r.mrr, (1 / 10 + 0) / 2);
  });

  it('nDCG@10 counts a relevant passage at rank 10 and not one at rank 11, binary and graded', async () => {
    const qrels = await readQrels(
      tempFile('qrels.txt', ['1 0 r 1', '2 0 s 1', '3 0 a 3', '3 0 b 2', '3 0 c 1'].join('\n') + '\n'),
    );
    const run = await runAt([
      ...filler('1', 9),
      ['1', 'r', 10],
      ...filler('2', 10),
      ['2', 's', 11],
      ...filler('3', 9),
      ['3', 'a', 10],
      ['3', 'b', 11],
    ]);
    const ndcg = new Map(evaluateRun(run, qrels).perQuery.map((q) => [q.qid, q.ndcg]));
    assert.ok(Math.abs(ndcg.get('1')! - 1 / Math.log2(11)) < 1e-15);
    assert.equal(ndcg.get('2'), 0);
    // Grade 3 at rank 10 counts, grade 2 at rank 11 does not; the ideal holds all three judged passages.
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4);
    assert.ok(Math.abs(ndcg.get('3')! - 3 / Math.log2(11) / idcg) < 1e-15);
    assert.ok(
      Math.abs(
        ndcgAt(run.rankings.get('3')!, qrels.judgements.get('3')!, 11) -
          (3 / Math.log2(11) + 2 / Math.log2(12)) / idcg,
      ) < 1e-15,
    );
  });

  it('refuses a minimum relevance of 0 or less (unjudged passages would count; recall went to 1.333)', async () => {
    const qrels = await readQrels(tempFile('qrels.txt', '1 0 a 1\n'));
    const run = await runAt([['1', 'a', 1]]);
    assert.throws(
      () => evaluateRun(run, qrels, { minRelevance: 0 }),
      /minimum relevance must be a grade above 0/,
    );
    assert.throws(() => evaluateRun(run, qrels, { minRelevance: -1 }), /got -1/);
  });
});
