// The report's drill-down in the extension: a query re-ranked under a comparison (a Table 1 setting, a Figure 4
// direction at a depth) is the ranking the analysis scored (same reciprocal rank before and after), and a
// comparison's what-if round-trips to its analysis.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec } from '../../support/checkpoints';
import { writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { loadPairSet } from '../../../src/core/analysis/pairSet';
import { PERIOD_SETTINGS, type PeriodMaskResult } from '../../../src/core/analysis/period-mask/periodMask';
import {
  INTERACTION_DIRECTIONS,
  type InteractionDirection,
  type InteractionResult,
} from '../../../src/core/analysis/interaction-mask/interactionMask';
import { interactionSection } from '../../../src/core/analysis/interaction-mask/report';
import type { ResultFile } from '../../../src/core/analysis/runner';
import { LIGHT_PALETTE } from '../../../src/core/report/sections';
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
let interactionFile: ResultFile;
let interaction: InteractionResult;

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
  const interactionOutcome = await runAnalysis(
    createAnalysis('interaction-mask'),
    pairSet,
    createAnalysisContext(ranker, tiny.modelDir, TEST_MAX_LENGTH),
    testRunnerOptions(ranker.info, path.join(root, 'interaction-mask')),
  );
  interactionFile = interactionOutcome.result!;
  interaction = interactionFile.result as unknown as InteractionResult;
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

  it('gives, for every Figure 4 direction, depth and query, the reciprocal ranks interaction masking computed', async () => {
    const { qids, reciprocalRanks } = interaction.perQuery;
    const directions = Object.keys(INTERACTION_DIRECTIONS) as InteractionDirection[];
    let moved = 0;
    for (const direction of directions) {
      const byDepth = reciprocalRanks[direction];
      assert.equal(byDepth.length, spec.layers + 1);
      for (let depth = 1; depth <= spec.layers; depth++) {
        for (const [i, qid] of qids.entries()) {
          const ranking = await rankQueryUnder(
            { analysis: 'interaction-mask', setting: direction, layers: depth, maskKind: interaction.kind },
            qid,
            dataset,
            { depth: 5, minRelevance: 1 },
            model,
          );
          const where = `${direction} i=${depth} ${qid}`;
          assert.ok(Math.abs(reciprocalRank(ranking.before, 1) - byDepth[0][i]) < 1e-12, `${where} before`);
          assert.ok(Math.abs(reciprocalRank(ranking.after, 1) - byDepth[depth][i]) < 1e-12, `${where} after`);
          // The interaction mask is on every candidate, not only the relevant ones.
          assert.ok(
            ranking.after.every((c) => c.changed),
            `${where}: every candidate is masked`,
          );
          assert.equal(
            ranking.change,
            `attention mask ${direction === 'query-to-document' ? 'document side → query side' : direction === 'document-to-query' ? 'query side → document side' : 'query side ↔ document side'}, ${depth === spec.layers ? 'all layers' : `layer ${depth}`}`,
          );
          if (byDepth[0][i] !== byDepth[depth][i]) moved++;
        }
      }
    }
    assert.ok(moved > 0, 'the fixture moves some query, so a wrong mask would show');
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

  it('turns each Figure 4 direction at a depth into a sides mask in layers 1..i, which runs interaction masking again', () => {
    const L = 6;
    const at = (setting: string, layers: number, maskKind?: 'token' | 'attention') =>
      whatIfOfComparison({ analysis: 'interaction-mask', setting, layers, maskKind }, L);
    assert.deepEqual(at('query-to-document', 3), {
      mask: { kind: 'attention', from: { group: 'document-side' }, to: { group: 'query-side' }, layers: 3 },
      replacePeriods: false,
    });
    assert.deepEqual(at('document-to-query', 1, 'token'), {
      mask: { kind: 'token', from: { group: 'query-side' }, to: { group: 'document-side' }, layers: 1 },
      replacePeriods: false,
    });
    assert.deepEqual(at('both', 6).mask, {
      kind: 'attention',
      from: { group: 'query-side' },
      to: { group: 'document-side' },
      layers: 6,
      bothWays: true,
    });
    for (const setting of Object.keys(INTERACTION_DIRECTIONS))
      assert.deepEqual(analysisOfWhatIf(at(setting, 2, 'token'), L), {
        command: 'ranklens.analyzeInteractionMasking',
        label: 'Run interaction masking (Figure 4) over the split',
        settings: { kind: 'token' },
      });
    assert.throws(() => at('both', 7), /masks the first 1-6 layers of this model, not 7/);
    assert.throws(() => at('sideways', 2), /cannot redo "sideways" in layers 1-2 of interaction-mask/);
  });

  it('links each Figure 4 point and comparison row to its depth, drawing the deepest and the rest once opened', () => {
    const section = interactionSection(interactionFile, LIGHT_PALETTE, {});
    const [figure, ...breakdowns] = section.charts;
    const drills = new Map(breakdowns.map((c) => [c.drill?.comparison, c]));
    const points = figure.pointLinks;
    assert.ok(points);
    const table = section.tables.find((t) => t.caption.startsWith('Each depth'));
    assert.ok(table?.rowLinks);
    let linked = 0;
    for (const direction of Object.keys(INTERACTION_DIRECTIONS) as InteractionDirection[]) {
      const label =
        direction === 'both'
          ? 'mask both'
          : direction === 'query-to-document'
            ? 'mask query → doc'
            : 'mask doc → query';
      const ranks = interaction.perQuery.reciprocalRanks[direction];
      assert.equal(points[label][0], undefined, 'i = 0 is the baseline itself');
      for (let depth = 1; depth <= spec.layers; depth++) {
        const id = `interaction-${direction}-${depth}`;
        const moved = ranks[depth].some((rr, q) => rr !== ranks[0][q]);
        // A point links to its breakdown exactly when some query moved (else there is nothing to open).
        assert.deepEqual(points[label][depth], moved ? { comparison: id } : undefined, id);
        const row = table.rows.findIndex((r) => r[0] === label && r[1] === depth);
        assert.deepEqual(table.rowLinks[row], points[label][depth], `${id} row`);
        const chart = drills.get(id);
        assert.equal(chart !== undefined, moved, `${id} chart`);
        if (!chart?.drill) continue;
        linked++;
        assert.deepEqual(chart.drill.target, {
          analysis: 'interaction-mask',
          setting: direction,
          layers: depth,
          maskKind: 'attention',
        });
        assert.equal(chart.onlyWhenOpen ?? false, depth < spec.layers, `${id}: only the deepest is drawn`);
        assert.match(chart.drill.summary, /^MRR@10 [\d.]+ → [\d.]+, Δ .*(not )?significant/);
      }
    }
    assert.ok(linked > 0, 'some depth moved a query');
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
