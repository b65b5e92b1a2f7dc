import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReferenceMasks } from '../../reference/bert64';
import { referenceMrr10 } from '../../reference/mrr10';
import { BERT_VOCAB } from '../../support/paths';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import type { HeadImportanceResult } from '../../../src/core/analysis/headImportance';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { periodsToCommas, type PeriodMaskResult } from '../../../src/core/analysis/periodMask';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { runAnalysis } from '../../../src/core/analysis/runner';
import { Ranker } from '../../../src/core/runtime/ranker';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import type { EncodedPair } from '../../../src/core/text/types';

const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 44 };
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
    close(result.original.mrr10, expected.original, 'original');
    for (const s of result.settings) close(s.mrr10, expected[s.setting], s.setting);
    const relevant = pairSet.items.flatMap((i) => i.candidates).filter((c) => c.grade >= 1).length;
    assert.equal(result.modifiedPassages, relevant);
    assert.equal(result.modifiedWithoutPeriods, 0);
    // The settings do change scores (else this test could not fail).
    assert.ok(result.settings.every((s) => s.meanScoreChange !== 0));
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
    assert.equal(result.heads.length, spec.layers);
    for (let l = 0; l < spec.layers; l++) {
      assert.equal(result.heads[l].length, spec.heads);
      for (let h = 0; h < spec.heads; h++) {
        const masked = listsWith({ head: (layer, head) => (layer === l && head === h ? 1 : 0) });
        close(result.heads[l][h].mrr10, referenceMrr10(masked), `head ${l}.${h}`);
        let change = 0;
        masked.forEach((m, q) => m.scores.forEach((s, i) => (change += s - base[q].scores[i])));
        assert.ok(Math.abs(result.heads[l][h].meanScoreChange - change / 30) < 1e-5);
        assert.notEqual(result.heads[l][h].meanScoreChange, 0);
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
