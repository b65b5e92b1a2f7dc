import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  discoverDatasetFiles,
  loadDataset,
  readQrels,
  readRun,
  warningsOf,
  type Dataset,
} from '../../../src/core/data';
import { evaluateRun } from '../../../src/core/eval';
import { mulberry32 } from '../../../src/core/random';
import { REPO_ROOT, SHARED_DATA, sharedFile } from '../../support/paths';

// Sample workspace v2 (issue 9): real candidate lists copied from ../shared/data by scripts/build-sample-dataset.ts.
const workspace = path.join(REPO_ROOT, 'sample-workspace');
const shipped = (name: string): string => path.join(workspace, name);
const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').trimEnd().split('\n');
const idText = (file: string): Map<string, string> =>
  new Map(lines(file).map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)] as const));
const firstColumn = (file: string, separator: string | RegExp): string[] =>
  lines(file).map((l) => l.split(separator)[0]);
const dl19Top100 = (name: string): string => sharedFile('msmarco', 'dl19_bm25_top100', name);
const dev600 = (name: string): string => sharedFile('msmarco', 'dev600_bm25_top20', name);

describe('sample-workspace v2 (built by scripts/build-sample-dataset.ts)', () => {
  const collection = idText(shipped('collection.tsv'));

  it('holds every passage a run names, with the text of the candidate list it came from', () => {
    const dl19Texts = idText(dl19Top100('collection.dl19-bm25-top100.tsv'));
    const dev600Texts = idText(dev600('collection.dev600-bm25-top20.tsv'));
    for (const [, , pid] of lines(shipped('run.dl19.bm25.trec')).map((l) => l.split(' '))) {
      assert.equal(collection.get(pid), dl19Texts.get(pid), `DL19 run pid ${pid}`);
    }
    let keptFromDl19 = 0;
    for (const part of ['dev600-train', 'dev600-heldout']) {
      for (const [, pid] of lines(shipped(`run.${part}.bm25.tsv`)).map((l) => l.split('\t'))) {
        assert.ok(collection.has(pid), `${part} run pid ${pid} has no text`);
        if (collection.get(pid) !== dev600Texts.get(pid)) {
          assert.equal(collection.get(pid), dl19Texts.get(pid), `pid ${pid}: neither source's text`);
          keptFromDl19++;
        }
      }
    }
    // One pid is in both candidate lists, its two texts differing only in a double space; DL19's is kept.
    assert.equal(keptFromDl19, 1);
  });

  it('adds the first 10,000 MS MARCO passages and the text of every judged-relevant passage available', () => {
    const slice = idText(sharedFile('msmarco', 'collection_10k', 'collection.pid0-9999.tsv'));
    for (const pid of slice.keys()) assert.ok(collection.has(pid), `10k slice pid ${pid}`);
    assert.equal(collection.size, 28795);
    const pids = [...collection.keys()];
    assert.deepEqual(
      pids,
      [...pids].sort((a, b) => Number(a) - Number(b)),
      'sorted by pid',
    );
    assert.equal(new Set(pids).size, lines(shipped('collection.tsv')).length, 'each pid once');
    const dl19Grades = lines(shipped('qrels.dl19.txt')).map((l) => l.split(/\s+/));
    const relevantWithoutText = dl19Grades.filter(([, , pid, g]) => Number(g) >= 1 && !collection.has(pid));
    assert.equal(relevantWithoutText.length, 0);
    // Grade-0 DL19 judgements outside the top 100 have no public text here; nor have 58 dev600 relevant
    // passages that BM25 did not retrieve in the top 20.
    assert.equal(dl19Grades.filter(([, , pid]) => !collection.has(pid)).length, 4264);
    const devQrels = ['dev600-train', 'dev600-heldout'].flatMap((p) => lines(shipped(`qrels.${p}.txt`)));
    assert.equal(devQrels.filter((l) => !collection.has(l.split(' ')[2])).length, 58);
  });

  it('ships DL19 as published: official qrels (all grades), the Anserini BM25 run byte for byte', () => {
    const same = (a: string, b: string) =>
      assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), `${a} != ${b}`);
    same(shipped('qrels.dl19.txt'), sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt'));
    same(shipped('run.dl19.bm25.trec'), dl19Top100('run.dl19.bm25-top100.trec'));
    same(shipped('queries.dl19.tsv'), dl19Top100('queries.dl19.tsv'));
    same(
      shipped('triples.train.tsv'),
      sharedFile('msmarco', 'triples_head', 'triples.train.small.head100.tsv'),
    );
    const grades = lines(shipped('qrels.dl19.txt')).map((l) => Number(l.split(/\s+/)[3]));
    assert.deepEqual(
      [0, 1, 2, 3].map((g) => grades.filter((x) => x === g).length),
      [5158, 1601, 1804, 697],
    );
    const trec = lines(shipped('run.dl19.bm25.trec')).map((l) => l.split(' '));
    const msmarco = lines(shipped('run.dl19.bm25.tsv')).map((l) => l.split('\t'));
    assert.deepEqual(
      msmarco,
      trec.map(([qid, , pid, rank]) => [qid, pid, rank]),
    );
  });

  it('evaluates the DL19 BM25 run to the published nDCG@10 0.5058, in both formats', async () => {
    const qrels = await readQrels(shipped('qrels.dl19.txt'));
    for (const name of ['run.dl19.bm25.trec', 'run.dl19.bm25.tsv']) {
      const r = evaluateRun(await readRun(shipped(name)), qrels, { minRelevance: 2 });
      assert.deepEqual(
        [r.ndcg.toFixed(4), r.mrr.toFixed(4), r.recall['100'].toFixed(4), r.queriesEvaluated],
        ['0.5058', '0.7024', '0.4910', 43],
        name,
      );
    }
  });

  it('splits the 600 dev queries by the documented rule: 400 train, 200 held out, disjoint', () => {
    const train = firstColumn(shipped('queries.dev600-train.tsv'), '\t');
    const heldOut = firstColumn(shipped('queries.dev600-heldout.tsv'), '\t');
    assert.deepEqual([train.length, heldOut.length], [400, 200]);
    assert.ok(!heldOut.some((qid) => train.includes(qid)), 'a qid in both parts');
    const dl19 = new Set(firstColumn(shipped('queries.dl19.tsv'), '\t'));
    assert.ok(![...train, ...heldOut].some((qid) => dl19.has(qid)), 'a dev qid is also a DL19 qid');
    // The rule, written out here independently of the script: numeric sort, Fisher-Yates with mulberry32.
    const qids = firstColumn(dev600('queries.dev600.tsv'), '\t')
      .map(Number)
      .sort((a, b) => a - b);
    const random = mulberry32(20200725);
    for (let i = qids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [qids[i], qids[j]] = [qids[j], qids[i]];
    }
    assert.deepEqual(
      [...heldOut].map(Number).sort((a, b) => a - b),
      qids.slice(0, 200).sort((a, b) => a - b),
    );
    assert.equal(qids[0], 75801, 'first of the shuffled order (the recipe checks the same)');
  });

  it("keeps each part's qrels and BM25 top-20 lines unchanged, and only its own queries", () => {
    const sourceQrels = new Set(lines(dev600('qrels.dev600.txt')));
    const sourceRun = new Set(lines(dev600('run.dev600.bm25-top20.tsv')));
    const sourceQueries = new Set(lines(dev600('queries.dev600.tsv')));
    for (const [part, queries] of [
      ['dev600-train', 400],
      ['dev600-heldout', 200],
    ] as const) {
      const qids = new Set(firstColumn(shipped(`queries.${part}.tsv`), '\t'));
      for (const l of lines(shipped(`queries.${part}.tsv`))) assert.ok(sourceQueries.has(l), l);
      const qrels = lines(shipped(`qrels.${part}.txt`));
      assert.equal(qrels.length, queries);
      for (const l of qrels) assert.ok(sourceQrels.has(l) && qids.has(l.split(' ')[0]), l);
      const run = lines(shipped(`run.${part}.bm25.tsv`));
      assert.equal(run.length, queries * 20);
      for (const l of run) assert.ok(sourceRun.has(l) && qids.has(l.split('\t')[0]), l);
    }
  });

  it('gives BM25 MRR@10 0.3721 on the held-out part and 0.3657 on the training part (the baselines)', async () => {
    const mrr = async (part: string) =>
      evaluateRun(
        await readRun(shipped(`run.${part}.bm25.tsv`)),
        await readQrels(shipped(`qrels.${part}.txt`)),
      ).mrr;
    assert.equal((await mrr('dev600-heldout')).toFixed(4), '0.3721');
    assert.equal((await mrr('dev600-train')).toFixed(4), '0.3657');
  });

  it('rebuilds byte for byte from ../shared/data', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-sample-'));
    try {
      const build = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(REPO_ROOT, 'scripts', 'build-sample-dataset.ts'),
          '--data',
          SHARED_DATA,
          '--out',
          out,
        ],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      assert.equal(build.status, 0, build.stderr);
      const built = fs.readdirSync(out).sort();
      assert.deepEqual(
        built,
        fs
          .readdirSync(workspace)
          .filter((n) => n !== 'README.md')
          .sort(),
      );
      for (const name of built) {
        assert.ok(
          fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(shipped(name))),
          `${name} differs`,
        );
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('sample-workspace v2 opened as a dataset', () => {
  let dataset: Dataset;
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-sample-index-'));
  before(async () => {
    dataset = await loadDataset(await discoverDatasetFiles(workspace), { indexDir });
  });
  after(() => fs.rmSync(indexDir, { recursive: true, force: true }));

  it('loads every file without errors or warnings; the judged pids without text are one note', () => {
    assert.deepEqual(dataset.errors, []);
    assert.equal(dataset.collection?.size, 28795);
    assert.deepEqual(
      dataset.queries.map((q) => [path.basename(q.file), q.texts.size]),
      [
        ['queries.dev600-heldout.tsv', 200],
        ['queries.dev600-train.tsv', 400],
        ['queries.dl19.tsv', 43],
      ],
    );
    assert.equal(dataset.runs.length, 4);
    assert.ok(!dataset.files.runs.some((f) => f.includes('triples')), 'triples are not a run');
    // The sample's collection holds the passages its runs rank, not every judged one: one line of information
    // naming each qrels file, not a problem per file.
    assert.equal(dataset.issues.length, 1);
    assert.deepEqual(warningsOf(dataset.issues), []);
    const [note] = dataset.issues;
    assert.equal(note.severity, 'info');
    assert.match(note.message, /the collection holds every passage the runs rank/);
    assert.match(note.message, /qrels\.dl19\.txt: 4264 of 9260 judged pids are not in the collection/);
    assert.match(note.message, /qrels\.dev600-heldout\.txt: \d+ of 200 judged pids/);
  });
});
