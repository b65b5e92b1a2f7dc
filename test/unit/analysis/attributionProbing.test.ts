import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { InProcessAnalysisModel } from '../../../src/core/analysis/inProcessModel';
import type { AttributionAnalysisResult } from '../../../src/core/analysis/attribution/layerAttribution';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { extractProbingFeatures, type ProbingResult } from '../../../src/core/analysis/probing';
import { concatPairSets } from '../../../src/core/analysis/probingAnalysis';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { mergeShards, runAnalysis, type RunnerOptions } from '../../../src/core/analysis/runner';
import { ZHAN_STOP_WORDS } from '../../../src/core/analysis/stopWords';
import { PROBE_GROUPS, probePositions } from '../../../src/core/analysis/tokenGroups';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import { RankerWorkerClient } from '../../../src/worker/client';
import { runAnalysisRequest, type AnalysisRunRequest } from '../../../src/core/analysis/runRequest';
import { stringSeed } from '../../../src/core/analysis/probing';

// One label: the attribution analysis selects by rank (the model's top K), the bundled model's case.
const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 44 };
let root: string;
let modelDir: string;
let written: WrittenCheckpoint;
let files: TinyDatasetFiles;
let model: InProcessAnalysisModel;
let pairSet: PairSet;

before(async () => {
  root = tempDir('analyses');
  ({ modelDir, written, files } = writeTinyModelAndDataset(root, spec, {
    queries: 6,
    candidates: 5,
    seed: 8,
  }));
  model = await InProcessAnalysisModel.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  pairSet = await loadPairSet({ ...files, selection: 'candidates', minRelevance: 1 });
});
after(async () => {
  await model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const encode = () => loadPairEncoder(modelDir, { maxLength: TEST_MAX_LENGTH });
const options = (dir: string, extra: Partial<RunnerOptions> = {}) =>
  testRunnerOptions(model.info, dir, { chunkPairs: 10, ...extra });
const read = (file: string) => fs.readFileSync(file, 'utf8');

async function singleAndSharded(name: string, settings: Record<string, unknown>, set: PairSet) {
  const single = path.join(root, `${name}-single`);
  const outcome = await runAnalysis(
    createAnalysis(name, settings as never),
    set,
    createAnalysisContext(model, modelDir, TEST_MAX_LENGTH),
    options(single),
  );
  const sharded = path.join(root, `${name}-sharded`);
  for (const k of [1, 2]) {
    await runAnalysis(
      createAnalysis(name, settings as never),
      set,
      createAnalysisContext(model, modelDir, TEST_MAX_LENGTH),
      options(sharded, { shard: { index: k, count: 2 } }),
    );
  }
  await mergeShards(sharded, createAnalysis);
  assert.equal(read(path.join(sharded, 'result.json')), read(path.join(single, 'result.json')));
  return outcome.result!.result;
}

describe('attribution analysis (Figure 2)', () => {
  it('attributes exactly the relevant pairs the model ranks in its top K, with group sums of the IG result', async () => {
    const topK = 2;
    const result = (await singleAndSharded(
      'attribution',
      { selection: { kind: 'rank', topK }, pairsPerQuery: 5 },
      pairSet,
    )) as unknown as AttributionAnalysisResult;
    // Independent selection: float64 reference scores of every candidate, ranked.
    const enc = encode();
    const expected: string[] = [];
    for (const item of pairSet.items) {
      const scores = item.candidates.map((c) => {
        const pair = enc(item.text, c.text);
        return referenceForward(spec, written, pair).score;
      });
      item.candidates.forEach((c, i) => {
        const better = scores.filter((s, j) => s > scores[i] || (s === scores[i] && j < i)).length;
        if (c.grade >= 1 && better < topK) expected.push(`${item.qid}/${c.pid}`);
      });
    }
    assert.ok(expected.length > 0 && expected.length < pairSet.description.pairs);
    assert.equal(result.attributedPairs, expected.length);
    assert.equal(
      result.relevantPairs,
      pairSet.items.flatMap((i) => i.candidates).filter((c) => c.grade >= 1).length,
    );

    const L = spec.layers;
    for (const b of result.baselines) {
      assert.deepEqual(
        b.layers.map((l) => l.layer),
        [...Array(L + 1).keys()],
      );
      for (const l of b.layers) {
        const s = l.share;
        // [CLS] + [SEP] + query + document = sum of attributions = F(x) - F(x') up to the completeness error.
        const total = s.cls + s.sep + s.query + s.document;
        assert.ok(
          Math.abs(total - 1) <= l.completeness.max + 1e-9,
          `${b.baseline} layer ${l.layer}: ${total}`,
        );
        const abs = l.absoluteShare;
        assert.ok(Math.abs(abs.cls + abs.sep + abs.query + abs.document - 1) < 1e-9);
        assert.ok(abs.period <= abs.document + 1e-12);
      }
      // At layer 0 the empty-query path changes only query positions: all attribution is the query's.
      const layer0 = b.layers[0];
      if (b.baseline === 'empty-query') {
        assert.equal(layer0.share.document, 0);
        assert.equal(layer0.share.cls, 0);
      } else {
        assert.equal(layer0.share.query, 0);
        assert.equal(layer0.share.sep, 0);
      }
    }
  });

  it('refuses a model that cannot compute gradients', async () => {
    const analysis = createAnalysis('attribution', {});
    const scorer = {
      info: model.info,
      score: model.score.bind(model),
      attentionSums: model.attentionSums.bind(model),
      scoreByMaskDepth: model.scoreByMaskDepth.bind(model),
    };
    await assert.rejects(
      analysis.map(
        { index: 0, items: pairSet.items.slice(0, 1) },
        { ...createAnalysisContext(scorer, modelDir, TEST_MAX_LENGTH), minRelevance: 1 },
      ),
      /needs a model that computes Integrated Gradients/,
    );
  });
});

describe('probing analysis (Figure 3)', () => {
  it('collects each group exactly at its positions, from the float64 reference hidden states', async () => {
    const enc = encode();
    const item = pairSet.items[1];
    const queries = [
      {
        qid: item.qid,
        candidates: item.candidates.map((c) => ({
          pid: c.pid,
          pair: enc(item.text, c.text),
          relevant: c.grade >= 1,
        })),
      },
    ];
    const stop = new Set(['alpha', 'red', '.']);
    const perToken = await extractProbingFeatures(queries, 'train', model, stop, 'logits');
    const pooled = await extractProbingFeatures(queries, 'train', model, stop, 'states');
    const h = spec.hidden;
    queries[0].candidates.forEach((c, e) => {
      const ref = referenceForward(spec, written, c.pair);
      const positions = probePositions(c.pair.tokens, stop, stringSeed(`${item.qid}\t${c.pid}`));
      PROBE_GROUPS.forEach((group, g) => {
        for (let layer = 0; layer <= spec.layers; layer++) {
          const data = perToken.data[layer][g];
          const rows = positions[group];
          assert.equal(data.offsets[e + 1] - data.offsets[e], rows.length, group);
          rows.forEach((p, r) => {
            for (let u = 0; u < h; u++) {
              const got = data.values[(data.offsets[e] + r) * h + u];
              assert.ok(Math.abs(got - ref.hidden[layer][p][u]) < 1e-4, `${group} layer ${layer} pos ${p}`);
            }
          });
          const pooledData = pooled.data[layer][g];
          assert.equal(pooledData.offsets[e + 1] - pooledData.offsets[e], rows.length > 0 ? 1 : 0);
          if (rows.length > 0) {
            for (let u = 0; u < h; u++) {
              const max = Math.max(...rows.map((p) => ref.hidden[layer][p][u]));
              assert.ok(Math.abs(pooledData.values[pooledData.offsets[e] * h + u] - max) < 1e-4);
            }
          }
        }
      });
      assert.equal(perToken.data[0][0].labels[e], c.relevant ? 1 : 0);
    });
  });

  it('trains on the training queries, evaluates on the held-out ones; sharded + merged = single run', async () => {
    const train = await loadPairSet({ ...files, selection: 'candidates', sample: 4, seed: 3 });
    const trainQids = new Set(train.items.map((i) => i.qid));
    const heldOutQids = pairSet.items.map((i) => i.qid).filter((q) => !trainQids.has(q));
    /** Writes the lines of `file` whose first field (up to `separator`) is a held-out qid to root/`name`. */
    const heldOutLines = (file: string, separator: string, name: string) => {
      const lines = read(file)
        .split('\n')
        .filter((l) => heldOutQids.includes(l.split(separator)[0]));
      fs.writeFileSync(path.join(root, name), lines.join('\n') + '\n');
      return path.join(root, name);
    };
    const heldOutQueries = heldOutLines(files.queries, '\t', 'heldout-queries.tsv');
    const heldOutQrels = heldOutLines(files.qrels, ' ', 'heldout-qrels.txt');
    const heldOut = await loadPairSet({
      ...files,
      queries: heldOutQueries,
      qrels: heldOutQrels,
      selection: 'candidates',
    });
    const joined = concatPairSets(train, heldOut);
    assert.throws(() => concatPairSets(train, train), /disjoint/);
    const result = (await singleAndSharded(
      'probing',
      { heldOut: heldOutQids, epochs: 2, learningRate: 1e-3 },
      joined,
    )) as unknown as ProbingResult;
    assert.equal(result.trainQueries, 4);
    assert.equal(result.evalQueries, heldOutQids.length);
    assert.equal(result.trainPairs + result.evalPairs, joined.description.pairs);
    assert.equal(result.groups.length, PROBE_GROUPS.length);
    for (const g of result.groups) {
      assert.equal(g.mrr.length, spec.layers + 1);
      assert.ok(g.mrr.every((m) => m >= 0 && m <= 1));
    }
    // [CLS] at layer 0 is the same vector for every pair: the probe cannot tell candidates apart.
    assert.ok(Math.abs(result.groups[0].mrr[0] - result.chanceMrr) < 1e-12);
  });
});

describe('analyses in the ranker worker', () => {
  it('runAnalysis in the worker writes the result a run in this process writes, and can be cancelled', async () => {
    const client = await RankerWorkerClient.load(modelDir, {
      threads: 1,
      cacheDir: path.join(root, 'graphs'),
    });
    try {
      const request: AnalysisRunRequest = {
        name: 'attribution',
        settings: { selection: { kind: 'rank', topK: 3 } },
        data: { ...files, depth: 5 },
        dir: path.join(root, 'worker-run'),
        maxLength: TEST_MAX_LENGTH,
        chunkPairs: 10,
      };
      const progress: number[] = [];
      const inWorker = await client.runAnalysis(request, { onProgress: (done) => progress.push(done) });
      const here = await runAnalysisRequest({ ...request, dir: path.join(root, 'here-run') }, model);
      assert.deepEqual(inWorker, JSON.parse(JSON.stringify(here)));
      assert.equal(
        read(path.join(root, 'worker-run', 'result.json')),
        read(path.join(root, 'here-run', 'result.json')),
      );
      assert.ok(progress.length > 0 && progress[progress.length - 1] === pairSet.description.pairs);
      const abort = new AbortController();
      const cancelled = client.runAnalysis(
        { ...request, dir: path.join(root, 'cancelled-run') },
        { signal: abort.signal, onProgress: () => abort.abort(new Error('stop')) },
      );
      await assert.rejects(cancelled);
      assert.ok(!fs.existsSync(path.join(root, 'cancelled-run', 'result.json')));
    } finally {
      await client.dispose();
    }
  });
});

describe('Zhan et al. token groups', () => {
  it('puts stop words, query terms and periods of the passage where the tokens are', () => {
    const enc = loadPairEncoder(path.join(__dirname, '..', '..', '..', 'models', 'ranklens-mini'));
    const pair = enc(
      'what is the population of paris',
      'Paris is the capital of France. The population of Paris is 2.1 million. It is a city of art.',
    );
    const stop = new Set(ZHAN_STOP_WORDS);
    const g = probePositions(pair.tokens, stop, 7);
    const text = (ps: readonly number[]) => ps.map((p) => pair.tokens[p].text);
    assert.deepEqual(g.cls, [0]);
    assert.equal(g.sep.length, 2);
    assert.deepEqual(text(g.period), ['.', '.', '.']); // "2.1" is a number, not a period
    assert.ok(text(g.stopWordDoc).every((t) => stop.has(t)) && g.stopWordDoc.length > 3);
    assert.deepEqual(text(g.queryTermDoc), ['paris', 'population', 'paris']);
    assert.deepEqual(text(g.query), ['what', 'is', 'the', 'population', 'of', 'paris']);
    assert.equal(g.randomDoc.length, 10);
    assert.ok(g.randomDoc.every((p) => pair.tokens[p].segment === 1 && pair.tokens[p].kind !== 'sep'));
    assert.deepEqual(probePositions(pair.tokens, stop, 7), g);
  });
});
