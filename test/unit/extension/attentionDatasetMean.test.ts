// The explorer's dataset mean, read from a real `attention` analysis result (the bundled model on the
// sample workspace), checked against the explorer's own per-pair shares averaged over the same pairs.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeModel } from '../../../src/core/analysis/analysis';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { modelKey, runAnalysis, type ResultFile } from '../../../src/core/analysis/runner';
import { Ranker } from '../../../src/core/runtime/ranker';
import { readAttentionDatasetMean } from '../../../src/extension/webviews/attentionDatasetMean';
import { SHARE_KINDS, attentionShares } from '../../../webview/shared/attentionCanvas';
import { REPO_ROOT } from '../../support/paths';
import { tempDir } from '../../support/checkpoints';

const MODEL = path.join(REPO_ROOT, 'models', 'ranklens-mini');
const SAMPLE = path.join(REPO_ROOT, 'sample-workspace');
const MAX_LENGTH = 256;

let workspace: string;
let analyses: string;
let ranker: Ranker;
let pairSet: PairSet;
let result: ResultFile;

before(async () => {
  workspace = tempDir('dataset-mean');
  analyses = path.join(workspace, '.ranklens', 'analyses');
  ranker = await Ranker.load(MODEL, { threads: 1, cacheDir: path.join(workspace, 'graphs') });
  pairSet = await loadPairSet({
    collection: path.join(SAMPLE, 'collection.tsv'),
    queries: path.join(SAMPLE, 'queries.dl19.tsv'),
    qrels: path.join(SAMPLE, 'qrels.dl19.txt'),
    run: path.join(SAMPLE, 'run.dl19.bm25.tsv'),
    selection: 'relevant',
    depth: 30,
    sample: 2,
    minRelevance: 2,
  });
  // Where the palette's "Attention Analysis" writes: .ranklens/analyses/attention/<split>/result.json.
  const outcome = await runAnalysis(
    createAnalysis('attention'),
    pairSet,
    createAnalysisContext(ranker, MODEL, MAX_LENGTH),
    {
      dir: path.join(analyses, 'attention', 'dl19'),
      model: describeModel(ranker.info, 'ranklens-mini'),
      modelKey: modelKey(ranker.info, MAX_LENGTH),
    },
  );
  assert.ok(outcome.result);
  result = outcome.result;
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(workspace, { recursive: true, force: true });
});

describe("the attention explorer's dataset mean", () => {
  it("is the analysis' Figure 1 shares, equal to the explorer's per-pair shares averaged over its pairs", async () => {
    const { mean, problems } = readAttentionDatasetMean(workspace, analyses, ranker.info.fingerprint);
    assert.deepEqual(problems, []);
    assert.ok(mean, 'the attention result was found');
    assert.equal(mean.source, path.join('.ranklens', 'analyses', 'attention', 'dl19', 'result.json'));
    const L = ranker.info.numLayers;
    // The explorer's own computation (webview/shared/attentionCanvas.ts), pair by pair, then averaged.
    const sums = Object.fromEntries(SHARE_KINDS.map((k) => [k, new Array<number>(L).fill(0)]));
    const context = createAnalysisContext(ranker, MODEL, MAX_LENGTH);
    let pairs = 0;
    for (const item of pairSet.items)
      for (const candidate of item.candidates) {
        const encoded = context.encode(item.text, candidate.text);
        const inspected = await ranker.inspect(encoded);
        const shares = attentionShares(
          {
            numLayers: L,
            numHeads: inspected.numHeads,
            seqLength: inspected.seqLength,
            data: inspected.attentions,
          },
          encoded.tokens,
        );
        for (const k of SHARE_KINDS) shares[k].forEach((s, l) => (sums[k][l] += s));
        pairs++;
      }
    assert.equal(pairs, result.data.pairs);
    assert.ok(pairs >= 5, `${pairs} relevant pairs`);
    for (const k of SHARE_KINDS) {
      assert.equal(mean.shares[k].length, L, `${k}: one value per layer`);
      mean.shares[k].forEach((value, l) =>
        assert.ok(
          Math.abs(value - sums[k][l] / pairs) < 1e-5,
          `${k}, layer ${l + 1}: file ${value} vs explorer ${sums[k][l] / pairs}`,
        ),
      );
    }
    // The five kinds take all of every token's attention.
    for (let l = 0; l < L; l++) {
      const total = SHARE_KINDS.reduce((s, k) => s + mean.shares[k][l], 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `layer ${l + 1}: shares sum to ${total}`);
    }
  });

  it("ignores other analyses and other models' results, and names a broken attention result", () => {
    const write = (folder: string, json: unknown) => {
      fs.mkdirSync(path.join(analyses, folder), { recursive: true });
      fs.writeFileSync(path.join(analyses, folder, 'result.json'), JSON.stringify(json));
    };
    write('rerank/dl19', { ...result, analysis: 'rerank', result: { runs: [] } });
    write('attention/other-model', { ...result, model: { ...result.model, fingerprint: 'another model' } });
    const fine = readAttentionDatasetMean(workspace, analyses, ranker.info.fingerprint);
    assert.deepEqual(fine.problems, []);
    assert.equal(fine.mean?.source, path.join('.ranklens', 'analyses', 'attention', 'dl19', 'result.json'));
    // Newer than the good one, with a statistic missing: reported with its file, the good one still used.
    const broken = JSON.parse(JSON.stringify(result)) as { result: { statistics: Record<string, unknown> } };
    delete broken.result.statistics.toPeriods;
    write('attention/broken', broken);
    const lookup = readAttentionDatasetMean(workspace, analyses, ranker.info.fingerprint);
    assert.equal(lookup.problems.length, 1);
    assert.match(
      lookup.problems[0],
      /attention[/\\]broken[/\\]result\.json: not an attention result: result\.json\.result\.statistics\.toPeriods: expected an object, got undefined/,
    );
    assert.equal(lookup.mean?.source, fine.mean?.source);
    assert.equal(
      readAttentionDatasetMean(workspace, analyses, 'no such model').mean,
      undefined,
      "another model's mean is not shown",
    );
  });
});
