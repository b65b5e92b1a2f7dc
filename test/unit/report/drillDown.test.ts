// From a compared MRR@10 to the queries behind it.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { drillDown, drillLinkOf, movedQueries } from '../../../src/core/report/drillDown';
import { LIGHT_PALETTE } from '../../../src/core/report/sections';

const input = {
  id: 'x',
  label: 'comma vs original',
  qids: ['q1', 'q2', 'q3', 'q4', 'q5'],
  baseline: [1, 0.5, 0, 1 / 3, 0.25],
  treatment: [1, 1, 0.1, 0, 0.25],
};

describe('drill-down', () => {
  it('lists the queries that moved, largest gain first, with the first relevant rank before and after', () => {
    assert.deepEqual(movedQueries(input), [
      { qid: 'q2', before: 2, after: 1, delta: 0.5 },
      { qid: 'q3', before: null, after: 10, delta: 0.1 },
      { qid: 'q4', before: 3, after: null, delta: -1 / 3 },
    ]);
  });

  it('draws one bar per moved query in that order and tabulates them', () => {
    const { charts, table } = drillDown([input], LIGHT_PALETTE);
    assert.equal(charts.length, 1);
    assert.equal(charts[0].title, 'comma vs original: the 3 queries that moved (2 unchanged)');
    assert.deepEqual((charts[0].option.xAxis as { data: string[] }).data, ['q2', 'q3', 'q4']);
    const bars = (charts[0].option.series as { data: { value: number }[] }[])[0].data;
    assert.deepEqual(
      bars.map((b) => b.value),
      [0.5, 0.1, -0.3333],
    );
    assert.deepEqual(table?.rows, [
      ['comma vs original', 'q2', '2', '1', 0.5],
      ['comma vs original', 'q3', '>10', '10', 0.1],
      ['comma vs original', 'q4', '3', '>10', -0.3333],
    ]);
  });

  it('links each bar and each moved-query row to its query, and the chart to what the comparison changed', () => {
    const target = { analysis: 'period-mask', setting: 'comma' };
    const { charts, table } = drillDown([{ ...input, target, summary: 'Δ −0.1' }], LIGHT_PALETTE);
    const drill = charts[0].drill;
    assert.ok(drill);
    assert.equal(drill.comparison, 'x');
    assert.deepEqual(drill.target, target);
    assert.equal(drill.summary, 'Δ −0.1');
    // Bar i is query drill.moved[i]: the order of the x axis.
    assert.deepEqual(
      drill.moved.map((m) => m.qid),
      (charts[0].option.xAxis as { data: string[] }).data,
    );
    assert.deepEqual(table?.rowLinks, [
      { comparison: 'x', qid: 'q2' },
      { comparison: 'x', qid: 'q3' },
      { comparison: 'x', qid: 'q4' },
    ]);
  });

  it('draws nothing for a comparison where no query moved', () => {
    const still = { ...input, treatment: input.baseline };
    const { charts, table } = drillDown([still], LIGHT_PALETTE);
    assert.deepEqual(charts, []);
    assert.equal(table, undefined);
  });

  it('draws breakdowns meant for one point each only once opened, and links only those with a query that moved', () => {
    const still = { ...input, id: 'y', treatment: input.baseline };
    const { charts, table } = drillDown([input, still], LIGHT_PALETTE, { onlyWhenOpen: true });
    assert.deepEqual(
      charts.map((c) => [c.id, c.onlyWhenOpen]),
      [['drill-x', true]],
    );
    assert.equal(table, undefined, 'their queries are listed in the drill-down once opened');
    assert.deepEqual(drillLinkOf(input), { comparison: 'x' });
    assert.equal(drillLinkOf(still), undefined);
    assert.equal(drillDown([input], LIGHT_PALETTE).charts[0].onlyWhenOpen, undefined);
  });
});
