import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReferenceMasks } from '../../reference/bert64';
import { referenceMrr10, referenceReciprocalRank } from '../../reference/mrr10';
import { comparePaired } from '../../../src/core/eval/significance';
import { BERT_VOCAB } from '../../support/paths';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import type { HeadImportanceResult } from '../../../src/core/analysis/head-importance/headImportance';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import {
  periodMaskAnalysis,
  periodsToCommas,
  PERIOD_SETTINGS,
  type PeriodMaskResult,
} from '../../../src/core/analysis/period-mask/periodMask';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { runAnalysis } from '../../../src/core/analysis/runner';
import { Ranker } from '../../../src/core/runtime/ranker';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import type { EncodedPair } from '../../../src/core/text/types';

// Model seed 49 with dataset seed 9: the float64 reference's MRR@10 differs between the original, the comma,
// [UNK], token-mask and attention-mask settings (asserted below), so a setting computed the wrong way moves it.
const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 49 };
let root: string;
let modelDir: string;
let written: WrittenCheckpoint;
let ranker: Ranker;
let pairSet: PairSet;

before(async () => {
  root = tempDir('masking');
  const tiny = writeTinyModelAndDataset(root, spec, { queries: 6, candidates: 5, seed: 9 });
  ({ modelDir, written } = tiny);
  ranker = await Ranker.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  pairSet = await loadPairSet({ ...tiny.files, selection: 'candidates', minRelevance: 1 });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

async function run(name: string) {
  const outcome = await runAnalysis(
    createAnalysis(name),
    pairSet,
    createAnalysisContext(ranker, modelDir, TEST_MAX_LENGTH),
    testRunnerOptions(ranker.info, path.join(root, name)),
  );
  return outcome.result?.result;
}

const reference = (pair: EncodedPair, masks: ReferenceMasks = {}) =>
  referenceForward(spec, written, pair, masks).score;

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

describe('period masking (Table 1)', () => {
  it('matches an independent float64 BERT with the masks, re-scoring only relevant passages', async () => {
    const result = (await run('period-mask')) as unknown as PeriodMaskResult;
    const tokenizer = loadTokenizer(modelDir);
    const commaId = tokenizer.vocab.id(',') as number;
    const lists = (modify: (p: EncodedPair) => number) =>
      pairSet.items.map((item) => ({
        pids: item.candidates.map((c) => c.pid),
        grades: item.candidates.map((c) => c.grade),
        scores: item.candidates.map((c) => {
          const pair = encodePair(tokenizer, item.text, c.text, { maxLength: TEST_MAX_LENGTH });
          return c.grade >= 1 ? modify(pair) : reference(pair);
        }),
      }));
    const periodKey = (pair: EncodedPair) => (_l: number, _i: number, j: number) =>
      pair.tokens[j].kind === 'period' ? 1 : 0;
    const expected = {
      original: referenceMrr10(lists((p) => reference(p))),
      comma: referenceMrr10(lists((p) => reference(periodsToCommas(p, commaId)))),
      'token-mask': referenceMrr10(lists((p) => reference(p, { token: periodKey(p) }))),
      'attention-mask': referenceMrr10(lists((p) => reference(p, { attention: periodKey(p) }))),
    };
    // The fixture must tell the settings apart, else a setting computed another way passes unnoticed.
    const unk = referenceMrr10(
      lists((p) => reference(periodsToCommas(p, tokenizer.vocab.id('[UNK]') as number))),
    );
    const distinct = new Set([...Object.values(expected), unk].map((m) => m.toFixed(9)));
    assert.equal(distinct.size, 5, `reference MRR@10 per setting: ${JSON.stringify({ ...expected, unk })}`);
    close(result.original.mrr10, expected.original, 'original');
    for (const s of result.settings) close(s.mrr10, expected[s.setting], s.setting);
    const relevant = pairSet.items.flatMap((i) => i.candidates).filter((c) => c.grade >= 1).length;
    assert.equal(result.modifiedPassages, relevant);
    assert.equal(result.modifiedWithoutPeriods, 0);
    // The settings do change scores (else this test could not fail).
    assert.ok(result.settings.every((s) => s.meanScoreChange !== 0));
    // The per-query values behind every interval and test are the reference's reciprocal ranks, query by query,
    // and each setting's comparison is computed from them against the original's.
    assert.deepEqual(
      result.perQuery.qids,
      pairSet.items.map((i) => i.qid),
    );
    const perQuery = {
      original: lists((p) => reference(p)).map(referenceReciprocalRank),
      comma: lists((p) => reference(periodsToCommas(p, commaId))).map(referenceReciprocalRank),
    };
    perQuery.original.forEach((rr, q) => close(result.perQuery.original[q], rr, `original, query ${q}`));
    perQuery.comma.forEach((rr, q) => close(result.perQuery.settings.comma[q], rr, `comma, query ${q}`));
    for (const s of result.settings) {
      assert.deepEqual(
        s.comparison,
        comparePaired(result.perQuery.original, result.perQuery.settings[s.setting]),
      );
      assert.equal(s.comparison.queries, pairSet.items.length);
      close(s.comparison.difference.mean, s.mrr10 - result.original.mrr10, `${s.setting} Δ`);
    }
    const commaMoved = perQuery.comma.filter((rr, q) => rr !== perQuery.original[q]).length;
    const comma = result.settings.find((s) => s.setting === 'comma')!.comparison;
    assert.equal(comma.improved + comma.hurt, commaMoved);
    assert.ok(result.original.interval.lower <= result.original.mrr10);
    assert.ok(result.original.mrr10 <= result.original.interval.upper);
    assert.match(result.significance.method, /2,000 resamples, seed 1/);
  });

  it('scores every relevant passage under each setting as the float64 reference does, pair by pair', async () => {
    const tokenizer = loadTokenizer(modelDir);
    const context = {
      ...createAnalysisContext(ranker, modelDir, TEST_MAX_LENGTH),
      minRelevance: 1,
    };
    const partial = await periodMaskAnalysis().map({ index: 0, items: pairSet.items }, context);
    const commaId = tokenizer.vocab.id(',') as number;
    const periodKey = (pair: EncodedPair) => (_l: number, _i: number, j: number) =>
      pair.tokens[j].kind === 'period' ? 1 : 0;
    const want: Record<(typeof PERIOD_SETTINGS)[number], (pair: EncodedPair) => number> = {
      comma: (p) => reference(periodsToCommas(p, commaId)),
      'token-mask': (p) => reference(p, { token: periodKey(p) }),
      'attention-mask': (p) => reference(p, { attention: periodKey(p) }),
    };
    let compared = 0;
    let tokenVsAttention = 0;
    partial.queries.forEach((q, n) => {
      const item = pairSet.items[n];
      q.modified.forEach((i, k) => {
        const pair = encodePair(tokenizer, item.text, item.candidates[i].text, {
          maxLength: TEST_MAX_LENGTH,
        });
        for (const setting of PERIOD_SETTINGS) {
          // A 2-layer, 16-wide float32 forward: each score is a few hundred float32 products and sums
          // (error ~1e-6); 1e-5 leaves a margin, while a wrong setting moves scores by 1e-2 or more here.
          const expected = want[setting](pair);
          const got = q.scores[setting][k];
          assert.ok(
            Math.abs(got - expected) < 1e-5,
            `${setting} ${q.qid}/${q.pids[i]}: ${got} vs ${expected}`,
          );
          compared++;
        }
        tokenVsAttention = Math.max(
          tokenVsAttention,
          Math.abs(q.scores['token-mask'][k] - q.scores['attention-mask'][k]),
        );
      });
    });
    assert.ok(compared >= 3 * 6, `${compared} comparisons`);
    // Renormalised and non-renormalised masks give visibly different scores on this fixture.
    assert.ok(tokenVsAttention > 1e-3, `token vs attention mask differ by at most ${tokenVsAttention}`);
  });

  it('replacing periods by commas changes exactly the period tokens of a real passage', () => {
    const tokenizer = loadTokenizer(BERT_VOCAB());
    const pair = encodePair(
      tokenizer,
      'what is pi.',
      'Pi is about 3.14. It is irrational. The digits never end, nor repeat.',
    );
    const commaId = tokenizer.vocab.id(',') as number;
    const changed = periodsToCommas(pair, commaId);
    const differs = [...pair.inputIds].map((id, i) => id !== changed.inputIds[i]);
    const periods = pair.tokens.map((t) => t.kind === 'period');
    assert.deepEqual(differs, periods);
    assert.equal(periods.filter(Boolean).length, 3); // "3.14" is a number, and the query's "." is no passage period
    assert.ok(changed.tokens.every((t) => t.kind !== 'period'));
    assert.deepEqual(changed.tokenTypeIds, pair.tokenTypeIds);
  });
});

describe('head importance', () => {
  it('gives, for every head masked alone, the MRR@10 and score change of a float64 BERT without that head', async () => {
    const result = (await run('head-importance')) as unknown as HeadImportanceResult;
    const tokenizer = loadTokenizer(modelDir);
    const pairs = pairSet.items.map((item) =>
      item.candidates.map((c) => encodePair(tokenizer, item.text, c.text, { maxLength: TEST_MAX_LENGTH })),
    );
    const listsWith = (masks: ReferenceMasks) =>
      pairSet.items.map((item, q) => ({
        pids: item.candidates.map((c) => c.pid),
        grades: item.candidates.map((c) => c.grade),
        scores: pairs[q].map((p) => reference(p, masks)),
      }));
    const base = listsWith({});
    close(result.unmasked.mrr10, referenceMrr10(base), 'unmasked');
    base.forEach((b, q) =>
      close(result.perQuery.unmasked[q], referenceReciprocalRank(b), `unmasked, query ${q}`),
    );
    assert.equal(result.heads.length, spec.layers);
    // result.json says how its arrays count: heads[l][h] below is transformer layer l + 1, head h + 1.
    assert.match(
      result.numbering,
      /^heads\[l - 1\]\[h - 1\] is head h \(1\.\.H\) of transformer layer l \(1\.\.L;/,
    );
    for (let l = 0; l < spec.layers; l++) {
      assert.equal(result.heads[l].length, spec.heads);
      for (let h = 0; h < spec.heads; h++) {
        const masked = listsWith({ head: (layer, head) => (layer === l && head === h ? 1 : 0) });
        close(result.heads[l][h].mrr10, referenceMrr10(masked), `head ${l}.${h}`);
        let change = 0;
        masked.forEach((m, q) => m.scores.forEach((s, i) => (change += s - base[q].scores[i])));
        assert.ok(Math.abs(result.heads[l][h].meanScoreChange - change / 30) < 1e-5);
        assert.notEqual(result.heads[l][h].meanScoreChange, 0);
        // Per query, the masked head's reciprocal ranks are the reference's, and its test is computed from them.
        masked.forEach((m, q) =>
          close(result.perQuery.heads[l][h][q], referenceReciprocalRank(m), `head ${l}.${h}, query ${q}`),
        );
        assert.deepEqual(
          result.heads[l][h].comparison,
          comparePaired(result.perQuery.unmasked, result.perQuery.heads[l][h]),
        );
      }
    }
  });
});

describe('progress of the analyses that score each pair several times', () => {
  for (const name of ['head-importance', 'period-mask', 'interaction-mask']) {
    it(`${name} counts pairs: up to the number of pairs, never the masked passes`, async () => {
      const reports: { done: number; total?: number }[] = [];
      await runAnalysis(
        createAnalysis(name),
        pairSet,
        createAnalysisContext(ranker, modelDir, TEST_MAX_LENGTH),
        testRunnerOptions(ranker.info, path.join(root, `progress-${name}`), {
          onProgress: (r) => reports.push(r),
        }),
      );
      const total = pairSet.description.pairs;
      assert.ok(reports.length > 1);
      for (const r of reports) {
        assert.equal(r.total, total);
        assert.ok(r.done <= total, `${r.done}/${total} pairs`);
      }
      assert.equal(reports.at(-1)!.done, total);
    });
  }
});
