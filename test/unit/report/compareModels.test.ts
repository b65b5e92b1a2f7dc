// Two models in one report: the metrics both result sets share, paired over the queries both ran.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  periodMaskAnalysis,
  type PeriodMaskPartial,
} from '../../../src/core/analysis/period-mask/periodMask';
import { RESULT_FORMAT, type ResultFile } from '../../../src/core/analysis/runner';
import type { Json, RunDescription } from '../../../src/core/analysis/analysis';
import { comparePaired } from '../../../src/core/eval/significance';
import {
  compareModels,
  comparedResults,
  modelComparisonSection,
} from '../../../src/core/report/compareModels';
import { LIGHT_PALETTE, reportSections } from '../../../src/core/report/sections';
import { reportInput } from '../../../src/protocol/report';

const run = (name: string): RunDescription => ({
  model: { name, fingerprint: name, numLayers: 2, numHeads: 2, hiddenSize: 16, numLabels: 1 },
  data: {
    selection: 'candidates',
    files: {},
    depth: 3,
    sample: null,
    seed: 1,
    minRelevance: 1,
    queries: 0,
    pairs: 0,
  },
});

/**
 * A model's period-masking result over queries whose relevant candidate (pid "r", score 3.5 - rank against 2.2
 * and 1.2) lands at rank `ranks[qid]` (1..3) before masking, and one score point lower with periods as commas.
 */
function periodResult(name: string, ranks: Readonly<Record<string, number>>): ResultFile {
  const queries = Object.entries(ranks).map(([qid, rank]) => {
    return {
      qid,
      pids: ['r', 'a', 'b'],
      grades: [1, 0, 0],
      original: [3.5 - rank, 2.2, 1.2],
      modified: [0],
      scores: { comma: [2.5 - rank], 'token-mask': [3.5 - rank], 'attention-mask': [3.5 - rank] },
    };
  });
  const partial: PeriodMaskPartial = { queries, withoutPeriods: 0 };
  const result = periodMaskAnalysis().finish([partial], run(name));
  return {
    format: RESULT_FORMAT,
    analysis: 'period-mask',
    version: 2,
    settings: {},
    model: run(name).model,
    data: { ...run(name).data, fingerprint: 'f' },
    chunks: 1,
    result: result as unknown as Json,
  };
}

// Relevant passage at score 3.5 - rank against 2.2 and 1.2: rank 1 -> RR 1, rank 2 -> 1/2, rank 3 -> 1/3.
const A = { period: periodResult('model-a', { q1: 1, q2: 2, q3: 3, q4: 1 }) };
const B = { period: periodResult('model-b', { q2: 1, q3: 3, q4: 2, q5: 1 }) };

describe('comparing two models', () => {
  it('pairs every shared metric over the queries both ran, B against A', () => {
    const rows = compareModels({ 'period-mask': A.period }, { 'period-mask': B.period });
    assert.deepEqual(
      rows.map((r) => r.metric),
      ['original MRR@10', 'comma MRR@10', 'token-mask MRR@10', 'attention-mask MRR@10'],
    );
    const original = rows[0];
    assert.equal(original.queries, 3); // q2, q3, q4: q1 only in A, q5 only in B
    assert.deepEqual(original.drill?.qids, ['q2', 'q3', 'q4']);
    assert.deepEqual(original.comparison, comparePaired([1 / 2, 1 / 3, 1], [1, 1 / 3, 1 / 2]));
    assert.deepEqual(
      [original.comparison.improved, original.comparison.hurt, original.comparison.unchanged],
      [1, 1, 1],
    );
  });

  it('adds a section with the table, the verdicts in words and the queries that moved', () => {
    const section = modelComparisonSection(
      'model-a',
      { 'period-mask': A.period },
      { name: 'model-b', results: { 'period-mask': B.period } },
      LIGHT_PALETTE,
    )!;
    assert.equal(section.tables[0].rows.length, 4);
    assert.ok(
      section.notes[0].startsWith('period-mask, original MRR@10, B vs A: not significant: p = 1.0, 2 of 3'),
    );
    assert.equal(
      section.charts[0].title,
      'period-mask, original MRR@10: B vs A: the 2 queries that moved (1 unchanged)',
    );
    const withComparison = reportSections({ 'period-mask': A.period }, LIGHT_PALETTE, {
      compareWith: { name: 'model-b', results: { 'period-mask': B.period } },
      modelName: 'model-a',
    });
    assert.deepEqual(
      withComparison.map((s) => s.id),
      ['period-mask', 'model-comparison'],
    );
  });

  it('reads the compared result files, refusing anything else by name', () => {
    const read = comparedResults([{ file: 'x/result.json', text: JSON.stringify(B.period) }]);
    assert.equal(read.name, 'model-b');
    assert.deepEqual(Object.keys(read.results), ['period-mask']);
    assert.throws(
      () => comparedResults([{ file: 'bad.json', text: '{"format":"x"}' }]),
      /bad\.json is not a RankLens result file/,
    );
    assert.throws(() => comparedResults([{ file: 'broken.json', text: '{' }]), /broken\.json is not JSON/);
  });

  it('crosses the report protocol with one compared model or a list of them', () => {
    const input = {
      title: 't',
      model: run('model-a').model,
      results: { 'period-mask': A.period },
      timings: [],
      settings: [],
    };
    const b = { name: 'model-b', results: { 'period-mask': B.period } };
    for (const compareWith of [b, [b], [b, { ...b, name: 'model-c' }]])
      assert.deepEqual(reportInput({ ...input, compareWith }, 'input').compareWith, compareWith);
    assert.throws(
      () => reportInput({ ...input, compareWith: [{ name: 'model-b' }] }, 'input'),
      /input\.compareWith\[0\]\.results/,
    );
  });
});
