import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, sharedFile } from '../../support/paths';

const workspace = path.join(REPO_ROOT, 'sample-workspace');
const lines = (name: string): string[] =>
  fs.readFileSync(path.join(workspace, name), 'utf8').trimEnd().split('\n');
const firstColumn = (name: string, separator: string | RegExp): string[] =>
  lines(name).map((l) => l.split(separator)[0]);

describe('sample-workspace (built by scripts/build-sample-dataset.ts)', () => {
  const collection = new Map(
    lines('collection.tsv').map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)] as const),
  );

  it('pools every shared passage once, with the shared texts unchanged', () => {
    assert.equal(collection.size, 4796);
    const source = sharedFile('msmarco', 'dev_small', 'collection.dev-small-relevant-subset.tsv');
    for (const line of fs.readFileSync(source, 'utf8').trimEnd().split('\n')) {
      const tab = line.indexOf('\t');
      assert.equal(collection.get(line.slice(0, tab)), line.slice(tab + 1).trim());
    }
  });

  it('keeps DL19, held-out dev and train queries disjoint, 43 / 192 / 400', () => {
    const dl19 = new Set(firstColumn('queries.dl19.tsv', '\t'));
    const dev = new Set(firstColumn('queries.dev.tsv', '\t'));
    const train = new Set(firstColumn('queries.train.tsv', '\t'));
    assert.deepEqual([dl19.size, dev.size, train.size], [43, 192, 400]);
    for (const qid of dev) assert.ok(!train.has(qid) && !dl19.has(qid), `qid ${qid} in two splits`);
  });

  it('judges only pooled passages of its own queries, in TREC qrels format', () => {
    for (const split of ['dl19', 'dev', 'train']) {
      const qids = new Set(firstColumn(`queries.${split}.tsv`, '\t'));
      for (const line of lines(`qrels.${split}.txt`)) {
        const [qid, iter, pid, rel] = line.split(' ');
        assert.ok(qids.has(qid) && iter === '0' && collection.has(pid) && /^\d$/.test(rel), line);
      }
    }
    const grades = lines('qrels.dl19.txt').map((l) => Number(l.split(' ')[3]));
    assert.deepEqual(
      [0, 1, 2, 3].map((g) => grades.filter((x) => x === g).length),
      [1, 1601, 1804, 697],
    );
  });

  it('has BM25 runs of at most 100 pooled passages per query, ranks 1..n, in both formats', () => {
    for (const split of ['dl19', 'dev']) {
      const msmarco = lines(`run.${split}.bm25.tsv`).map((l) => l.split('\t'));
      const trec = lines(`run.${split}.bm25.trec`).map((l) => l.split(' '));
      assert.equal(msmarco.length, trec.length);
      const perQuery = new Map<string, number>();
      msmarco.forEach(([qid, pid, rank], i) => {
        const n = (perQuery.get(qid) ?? 0) + 1;
        perQuery.set(qid, n);
        assert.equal(Number(rank), n);
        assert.ok(collection.has(pid));
        assert.deepEqual([trec[i][0], trec[i][1], trec[i][2], trec[i][3]], [qid, 'Q0', pid, rank]);
        if (n > 1) assert.ok(Number(trec[i][4]) <= Number(trec[i - 1][4]), `scores not descending at ${qid}`);
      });
      assert.ok(Math.max(...perQuery.values()) <= 100);
      assert.equal(perQuery.size, new Set(firstColumn(`queries.${split}.tsv`, '\t')).size);
    }
  });
});
