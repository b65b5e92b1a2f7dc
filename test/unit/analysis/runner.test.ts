import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import type { Scorer } from '../../../src/core/runtime/types';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { rankByScore } from '../../../src/core/analysis/ranking';
import type { RerankResult } from '../../../src/core/analysis/rerank';
import { comparePaired } from '../../../src/core/eval/significance';
import {
  chunkItems,
  chunksOfShard,
  mergeShards,
  parseShard,
  partialPath,
  runAnalysis,
  type RunnerOptions,
} from '../../../src/core/analysis/runner';
import { readQrels, readRun } from '../../../src/core/data';
import { evaluateRun } from '../../../src/core/eval';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import { RankerWorkerClient } from '../../../src/worker/client';

const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 2, seed: 31 };
let root: string;
let modelDir: string;
let written: WrittenCheckpoint;
let files: TinyDatasetFiles;
let ranker: Ranker;
let pairSet: PairSet;

before(async () => {
  root = tempDir('runner');
  ({ modelDir, written, files } = writeTinyModelAndDataset(root, spec, { queries: 7, candidates: 6 }));
  ranker = await Ranker.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  pairSet = await loadPairSet({ ...files, selection: 'candidates', minRelevance: 1 });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const encode = () => loadPairEncoder(modelDir, { maxLength: TEST_MAX_LENGTH });
const context = (scorer: Scorer) => createAnalysisContext(scorer, modelDir, TEST_MAX_LENGTH);
const runnerOptions = (dir: string, extra: Partial<RunnerOptions> = {}) =>
  testRunnerOptions(ranker.info, dir, { chunkPairs: 10, ...extra });
const rerank = () => createAnalysis('rerank', { fusionWeight: 0.5 });
const read = (file: string) => fs.readFileSync(file, 'utf8');

describe('pair sets', () => {
  it('keeps every run candidate with its text and grade, in run order', () => {
    assert.equal(pairSet.items.length, 7);
    assert.equal(pairSet.description.pairs, 42);
    const first = pairSet.items[0];
    assert.deepEqual(
      first.candidates.map((c) => c.rank),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(first.candidates[0].runScore, 20);
    assert.equal(first.candidates[0].grade, 2); // (q * 3) % 6 = 0 for q = 0
  });

  it('draws a seeded sample of queries, kept in file order; another seed, another sample', async () => {
    const a = await loadPairSet({ ...files, selection: 'candidates', sample: 3, seed: 4 });
    const b = await loadPairSet({ ...files, selection: 'candidates', sample: 3, seed: 4 });
    const c = await loadPairSet({ ...files, selection: 'candidates', sample: 3, seed: 9 });
    const qids = (s: PairSet) => s.items.map((i) => i.qid);
    assert.deepEqual(qids(a), qids(b));
    assert.deepEqual(qids(a), [...qids(a)].sort());
    assert.notDeepEqual(qids(a), qids(c));
    assert.notEqual(a.fingerprint, c.fingerprint);
  });

  it('relevant selection keeps only passages at or above the grade', async () => {
    const relevant = await loadPairSet({ ...files, selection: 'relevant', minRelevance: 2 });
    assert.ok(relevant.items.every((i) => i.candidates.every((c) => c.grade >= 2)));
    assert.equal(relevant.description.pairs, 7);
  });

  it('names the file and the passage when a candidate has no text', async () => {
    const broken = path.join(root, 'short-collection.tsv');
    fs.writeFileSync(broken, read(files.collection).split('\n').slice(1).join('\n'));
    await assert.rejects(
      loadPairSet({ ...files, collection: broken, selection: 'candidates' }),
      /run\.trec.*passage 100 \(qid 1000\)/,
    );
  });

  it('gives shard k/N every N-th chunk from k - 1: 3/4 of chunks 0-7 runs 2 and 6', () => {
    const chunks = Array.from({ length: 8 }, (_, index) => ({ index }));
    assert.deepEqual(
      chunksOfShard(chunks, { index: 3, count: 4 }).map((c) => c.index),
      [2, 6],
    );
    // The four shards split the chunks between them: each chunk in exactly one.
    const byShard = [1, 2, 3, 4].map((k) =>
      chunksOfShard(chunks, { index: k, count: 4 }).map((c) => c.index),
    );
    assert.deepEqual(byShard, [
      [0, 4],
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
  });

  it("writes into a shard's partial file the chunks that shard runs, and only those", async () => {
    const dir = path.join(root, 'shard-chunks');
    // One query (6 pairs) per chunk: 7 chunks, 0-6; shard 3/4 runs chunks 2 and 6.
    const options = runnerOptions(dir, { chunkPairs: 5, shard: { index: 3, count: 4 } });
    const outcome = await runAnalysis(rerank(), pairSet, context(ranker), options);
    const body = JSON.parse(read(outcome.file)).body as {
      chunkCount: number;
      chunks: { index: number; partial: { queries: { qid: string }[] } }[];
    };
    assert.equal(body.chunkCount, 7);
    assert.deepEqual(
      body.chunks.map((c) => c.index),
      [2, 6],
    );
    assert.deepEqual(
      body.chunks.map((c) => c.partial.queries.map((q) => q.qid)),
      [[pairSet.items[2].qid], [pairSet.items[6].qid]],
    );
    assert.equal(outcome.pairs, 12);
  });

  it('chunks whole queries until a chunk holds the asked number of pairs', () => {
    const chunks = chunkItems(pairSet, 10);
    assert.deepEqual(
      chunks.map((c) => c.items.length),
      [2, 2, 2, 1],
    );
    assert.deepEqual(
      chunks.map((c) => c.index),
      [0, 1, 2, 3],
    );
  });
});

describe('rerank analysis', () => {
  it('scores every candidate as an independent float64 BERT does, and evaluates its ranking', async () => {
    const dir = path.join(root, 'single');
    const outcome = await runAnalysis(rerank(), pairSet, context(ranker), runnerOptions(dir));
    const result = outcome.result?.result as unknown as RerankResult;
    const enc = encode();
    for (const q of result.queries) {
      const item = pairSet.items.find((i) => i.qid === q.qid)!;
      item.candidates.forEach((c, k) => {
        const pair = enc(item.text, c.text);
        const ref = referenceForward(spec, written, pair);
        assert.ok(Math.abs(q.modelScores[k] - ref.score) < 1e-5, `${q.qid}/${c.pid}`);
      });
    }
    // The written run, read back and evaluated by the ordinary evaluator, gives the result's model metrics.
    const reread = await readRun(path.join(dir, 'rerank.trec'));
    const qrels = await readQrels(files.qrels);
    const evaluated = evaluateRun(reread, qrels);
    assert.equal(evaluated.mrr, result.metrics?.model.mrr10);
    assert.equal(evaluated.ndcg, result.metrics?.model.ndcg10);
    // The input run evaluates as the file does.
    const input = evaluateRun(await readRun(files.run), qrels);
    assert.equal(input.mrr, result.metrics?.run.mrr10);
    // The per-query values behind the paired tests are the evaluator's, query by query, for both rankings.
    const perQuery = result.perQuery!;
    assert.deepEqual(
      perQuery.judged,
      evaluated.perQuery.map((q) => q.qid),
    );
    assert.deepEqual(
      perQuery.model.mrr10,
      evaluated.perQuery.map((q) => q.reciprocalRank),
    );
    assert.deepEqual(
      perQuery.run.mrr10,
      input.perQuery.map((q) => q.reciprocalRank),
    );
    assert.deepEqual(
      perQuery.model.ndcg10,
      evaluated.perQuery.filter((q) => q.inRun).map((q) => q.ndcg),
    );
    assert.deepEqual(
      result.comparisons?.model.mrr10,
      comparePaired(perQuery.run.mrr10, perQuery.model.mrr10),
    );
    assert.deepEqual(
      result.comparisons?.fused.ndcg10,
      comparePaired(perQuery.run.ndcg10, perQuery.fused.ndcg10),
    );
    assert.equal(result.metrics?.model.intervals.mrr10.mean, result.comparisons?.model.mrr10.treatment.mean);
    // MS MARCO format: same order as the TREC file.
    const tsv = await readRun(path.join(dir, 'rerank.tsv'));
    for (const [qid, list] of reread.rankings) {
      assert.deepEqual(
        tsv.rankings.get(qid)?.map((c) => c.pid),
        list.map((c) => c.pid),
      );
    }
    // Fusion at w = 1 ranks as the model, at w = 0 as the run.
    assert.equal(result.sweep?.[10].mrr10, result.metrics?.model.mrr10);
    assert.equal(result.sweep?.[0].mrr10, result.metrics?.run.mrr10);
    assert.equal(result.fusion.weight, 0.5);
  });

  it('fuses a run without scores (MS MARCO format) by -rank: at weight 0 the fused order is the run order', async () => {
    // The same candidates as the TREC run, as qid, pid, rank lines.
    const tsvRun = path.join(root, 'run.msmarco.tsv');
    const lines = read(files.run)
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    fs.writeFileSync(tsvRun, lines.map((w) => `${w[0]}\t${w[2]}\t${w[3]}`).join('\n') + '\n');
    const set = await loadPairSet({ ...files, run: tsvRun, selection: 'candidates', minRelevance: 1 });
    assert.ok(set.items.every((i) => i.candidates.every((c) => c.runScore === undefined)));
    const dir = path.join(root, 'msmarco-fusion');
    const outcome = await runAnalysis(
      createAnalysis('rerank', { fusionWeight: 0 }),
      set,
      context(ranker),
      runnerOptions(dir),
    );
    const result = outcome.result?.result as unknown as RerankResult;
    assert.equal(result.fusion.runScoreSource, 'negative ranks');
    for (const q of result.queries) {
      // min-max of -rank over ranks 1..n: (n - rank) / (n - 1), so rank 1 scores 1 and rank n scores 0.
      const n = q.runRanks.length;
      assert.deepEqual(
        q.fusedScores,
        q.runRanks.map((r) => Math.fround((n - r) / (n - 1))),
        q.qid,
      );
      assert.deepEqual(
        rankByScore(q.pids, q.fusedScores).map((c) => c.pid),
        [...q.pids].sort((a, b) => q.runRanks[q.pids.indexOf(a)] - q.runRanks[q.pids.indexOf(b)]),
      );
    }
    assert.equal(result.metrics?.fused.mrr10, result.metrics?.run.mrr10);
    assert.equal(result.metrics?.fused.ndcg10, result.metrics?.run.ndcg10);
  });

  it('sharded and merged gives a result.json bit-identical to a single run', async () => {
    const single = path.join(root, 'single');
    const sharded = path.join(root, 'sharded');
    for (const k of [3, 1, 2]) {
      const outcome = await runAnalysis(
        rerank(),
        pairSet,
        context(ranker),
        runnerOptions(sharded, { shard: { index: k, count: 3 } }),
      );
      assert.equal(outcome.file, partialPath(sharded, { index: k, count: 3 }));
      assert.equal(outcome.result, undefined);
    }
    assert.ok(!fs.existsSync(path.join(sharded, 'result.json')));
    await mergeShards(sharded, createAnalysis);
    for (const name of ['result.json', 'rerank.trec', 'rerank.tsv', 'fused.trec'])
      assert.equal(read(path.join(sharded, name)), read(path.join(single, name)), name);
  });

  it('merge refuses missing, damaged and foreign shards, naming the file', async () => {
    const dir = path.join(root, 'merge-errors');
    const run = (k: number, n: number, weight = 0.5, target = dir) =>
      runAnalysis(
        createAnalysis('rerank', { fusionWeight: weight }),
        pairSet,
        context(ranker),
        runnerOptions(target, { shard: { index: k, count: n } }),
      );
    await run(1, 2);
    await assert.rejects(mergeShards(dir, createAnalysis), /shards 2\/2 are missing/);
    await run(2, 2, 0.3);
    await assert.rejects(mergeShards(dir, createAnalysis), /shard-2-of-2\.json: from another run/);
    await run(2, 2);
    const file = partialPath(dir, { index: 2, count: 2 });
    fs.writeFileSync(file, read(file).replace('"qid":"1002"', '"qid":"1009"'));
    await assert.rejects(mergeShards(dir, createAnalysis), /shard-2-of-2\.json: checksum mismatch/);
    assert.throws(() => parseShard('3/2'), /1 <= k <= N/);
    assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  });

  it('an interrupted run resumes from its finished chunks and gives the same result', async () => {
    const dir = path.join(root, 'resume');
    const controller = new AbortController();
    await assert.rejects(
      runAnalysis(
        rerank(),
        pairSet,
        context(ranker),
        runnerOptions(dir, {
          signal: controller.signal,
          onProgress: (r) => {
            if (r.done >= 20) controller.abort(new Error('interrupted'));
          },
        }),
      ),
      /interrupted/,
    );
    assert.ok(!fs.existsSync(path.join(dir, 'result.json')));
    const cached = fs.readdirSync(path.join(dir, 'cache'));
    assert.ok(cached.length >= 1 && cached.length < 4, `${cached.length} chunks cached`);
    // A damaged chunk is not trusted: it is computed again.
    const damaged = path.join(dir, 'cache', cached[0]);
    fs.writeFileSync(damaged, read(damaged).replace(/"modelScores":\[\d/, '"modelScores":[7'));
    const resumed = await runAnalysis(rerank(), pairSet, context(ranker), runnerOptions(dir));
    assert.equal(resumed.chunksReused, cached.length - 1);
    assert.equal(resumed.chunksComputed, 4 - resumed.chunksReused);
    assert.equal(read(resumed.file), read(path.join(root, 'single', 'result.json')));
    const again = await runAnalysis(rerank(), pairSet, context(ranker), runnerOptions(dir));
    assert.deepEqual([again.chunksComputed, again.chunksReused], [0, 4]);
  });

  it('runs the same through the worker client (one Scorer interface), bit for bit', async () => {
    const client = await RankerWorkerClient.load(modelDir, {
      threads: 1,
      cacheDir: path.join(root, 'graphs'),
    });
    try {
      const dir = path.join(root, 'worker');
      const progress: number[] = [];
      await runAnalysis(
        rerank(),
        pairSet,
        context(client),
        runnerOptions(dir, { onProgress: (r) => progress.push(r.done) }),
      );
      assert.equal(read(path.join(dir, 'result.json')), read(path.join(root, 'single', 'result.json')));
      assert.equal(progress[progress.length - 1], 42);
    } finally {
      await client.dispose();
    }
  });
});
