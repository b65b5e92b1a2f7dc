// The report's drill-down in the extension: a query re-ranked under a comparison is the ranking the analysis
// scored (same reciprocal rank before and after), and a comparison's what-if round-trips to its analysis.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec } from '../../support/checkpoints';
import { writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { loadPairSet } from '../../../src/core/analysis/pairSet';
import { PERIOD_SETTINGS, type PeriodMaskResult } from '../../../src/core/analysis/periodMask';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { runAnalysis } from '../../../src/core/analysis/runner';
import { loadDataset, type Dataset } from '../../../src/core/data';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import { analysisOfWhatIf, whatIfOfComparison } from '../../../src/extension/drillDown/comparisonWhatIf';
import { rankQueryUnder, type RankingModel } from '../../../src/extension/drillDown/queryRanking';
import type { QueryRanking } from '../../../src/protocol/report';

// The masking tests' fixture: its settings give five different MRR@10 values, so a what-if redone the wrong
// way shows in some query's reciprocal rank.
const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 49 };
let root: string;
let ranker: Ranker;
let files: TinyDatasetFiles;
let dataset: Dataset;
let model: RankingModel;
let result: PeriodMaskResult;

before(async () => {
  root = tempDir('drill-down');
  const tiny = writeTinyModelAndDataset(root, spec, { queries: 6, candidates: 5, seed: 9 });
  files = tiny.files;
  ranker = await Ranker.load(tiny.modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  const pairSet = await loadPairSet({ ...files, selection: 'candidates', minRelevance: 1 });
  const outcome = await runAnalysis(
    createAnalysis('period-mask'),
    pairSet,
    createAnalysisContext(ranker, tiny.modelDir, TEST_MAX_LENGTH),
    testRunnerOptions(ranker.info, path.join(root, 'period-mask')),
  );
  result = outcome.result?.result as unknown as PeriodMaskResult;
  dataset = await loadDataset({
    collection: files.collection,
    queries: [files.queries],
    qrels: [files.qrels],
    runs: [files.run],
  });
  const encode = loadPairEncoder(tiny.modelDir, { maxLength: TEST_MAX_LENGTH });
  model = {
    numLayers: ranker.info.numLayers,
    encode,
    score: async (pairs, masks) => (await ranker.score(pairs, { masks })).map((r) => r.score),
  };
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** MRR@10's term of a ranked list: 1 / rank of its first relevant passage within the top 10. */
const reciprocalRank = (list: QueryRanking['before'], minRelevance: number) => {
  const first = list.find((c) => c.grade >= minRelevance);
  return first && first.rank <= 10 ? 1 / first.rank : 0;
};

describe('drill-down: a query re-ranked under a comparison', () => {
  it('gives, for every query and setting, the reciprocal ranks the period-mask analysis computed', async () => {
    const { qids, original, settings } = result.perQuery;
    let moved = 0;
    for (const setting of PERIOD_SETTINGS) {
      for (const [i, qid] of qids.entries()) {
        const ranking = await rankQueryUnder(
          { analysis: 'period-mask', setting },
          qid,
          dataset,
          {
            depth: 5,
            minRelevance: 1,
          },
          model,
        );
        assert.equal(ranking.before.length, 5);
        assert.ok(
          Math.abs(reciprocalRank(ranking.before, 1) - original[i]) < 1e-12,
          `${setting} ${qid} before`,
        );
        assert.ok(
          Math.abs(reciprocalRank(ranking.after, 1) - settings[setting][i]) < 1e-12,
          `${setting} ${qid} after`,
        );
        if (original[i] !== settings[setting][i]) moved++;
        // Only the relevant passages are modified (the paper's adversarial protocol); the others keep their score.
        const scoreBefore = new Map(ranking.before.map((c) => [c.pid, c.score]));
        for (const c of ranking.after) {
          assert.equal(c.changed, c.grade >= 1, `${qid} ${c.pid} changed`);
          if (!c.changed) assert.equal(c.score, scoreBefore.get(c.pid));
        }
      }
    }
    assert.ok(moved > 0, 'the fixture moves some query, so a wrong what-if would show');
  });

  it('says which query it cannot find', async () => {
    await assert.rejects(
      rankQueryUnder(
        { analysis: 'period-mask', setting: 'comma' },
        'no-such-qid',
        dataset,
        { depth: 5, minRelevance: 1 },
        model,
      ),
      /query no-such-qid is in none of the open dataset's queries files/,
    );
  });
});

describe("drill-down: a comparison's what-if and back", () => {
  it('turns each period-mask setting into the inspector what-if that runs period masking again', () => {
    const L = 6;
    assert.deepEqual(whatIfOfComparison({ analysis: 'period-mask', setting: 'comma' }, L), {
      replacePeriods: true,
    });
    assert.deepEqual(whatIfOfComparison({ analysis: 'period-mask', setting: 'token-mask' }, L), {
      mask: { kind: 'token', from: { group: 'all' }, to: { group: 'periods' }, layers: 6 },
      replacePeriods: false,
    });
    for (const setting of PERIOD_SETTINGS)
      assert.equal(
        analysisOfWhatIf(whatIfOfComparison({ analysis: 'period-mask', setting }, L), L)?.command,
        'ranklens.analyzePeriodMasking',
      );
  });

  it('offers no dataset analysis for what-ifs that none runs, and refuses comparisons it cannot redo', () => {
    const mask = (layers: number, to: 'periods' | 'query') => ({
      mask: { kind: 'token' as const, from: { group: 'all' as const }, to: { group: to }, layers },
      replacePeriods: false,
    });
    assert.equal(analysisOfWhatIf(mask(3, 'periods'), 6), undefined);
    assert.equal(analysisOfWhatIf(mask(6, 'query'), 6), undefined);
    assert.equal(analysisOfWhatIf({ ...mask(6, 'periods'), replacePeriods: true }, 6), undefined);
    assert.throws(
      () => whatIfOfComparison({ analysis: 'interaction-mask', setting: 'both' }, 6),
      /cannot redo "both" of interaction-mask/,
    );
  });
});
