import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, type CheckpointSpec } from '../../support/checkpoints';
import { writeTinyModelAndDataset } from '../../support/tinyDataset';
import { InProcessAnalysisModel } from '../../../src/core/analysis/inProcessModel';
import { reportHtml } from '../../../src/core/report/html';
import { runReportAnalyses } from '../../../src/core/report/runReport';
import {
  LIGHT_PALETTE,
  reportSections,
  settingsLine,
  type ReportInput,
} from '../../../src/core/report/sections';
import type { PeriodMaskResult } from '../../../src/core/analysis/period-mask/periodMask';
import { comparisonVerdict, formatP } from '../../../src/core/eval/significance';

const spec: CheckpointSpec = { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 12 };
let root: string;
let model: InProcessAnalysisModel;
let input: ReportInput;

before(async () => {
  root = tempDir('report');
  const { modelDir, files } = writeTinyModelAndDataset(root, spec, { queries: 5, candidates: 5, seed: 3 });
  model = await InProcessAnalysisModel.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  input = await runReportAnalyses({
    files: { ...files, trainQueries: files.queries, trainQrels: files.qrels, trainRun: files.run },
    sizes: { depth: 5, queries: {}, probingTrain: 2 },
    model,
    modelName: 'tiny </script><b>',
    maxLength: 64,
    workDir: path.join(root, 'work'),
    only: ['attribution', 'period-mask', 'head-importance', 'rerank'],
  });
});
after(async () => {
  await model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('report', () => {
  it('has one section per analysis run, with charts that carry this model and the paper', () => {
    const sections = reportSections(input.results, LIGHT_PALETTE);
    assert.deepEqual(
      sections.map((s) => s.id),
      ['attribution', 'period-mask', 'head-importance', 'rerank'],
    );
    assert.deepEqual(
      input.timings.map((t) => t.analysis),
      ['attribution', 'period-mask', 'head-importance', 'rerank'],
    );
    const attribution = sections[0];
    assert.equal(attribution.charts.length, 2);
    const series = attribution.charts[0].option.series as { name: string; data: number[][] }[];
    const query = series.find((s) => s.name === 'Query')!;
    assert.equal(query.data.length, spec.layers + 1);
    // The legend says the paper's layers are drawn by relative depth (this model has 2 layers, the paper 12).
    const paper = series.find((s) => s.name === 'Query (paper, by depth)')!;
    assert.equal(paper.data.length, 12); // layers 0-11 of BERT-base
    assert.ok(attribution.csv.startsWith('baseline,layer,group,share'));
    const heads = sections[2].charts[0].option.series as { data: number[][] }[];
    assert.equal(heads[0].data.length, spec.layers * spec.heads);
  });

  it('shows intervals, paired tests and their verdicts in words where MRR@10 is compared', () => {
    const sections = reportSections(input.results, LIGHT_PALETTE);
    const period = sections.find((s) => s.id === 'period-mask')!;
    const table = period.tables[0];
    for (const column of ['95% CI', 'Δ [95% CI]', 'p (permutation)', 'p (t-test)', 'queries up/down/same'])
      assert.ok(table.columns.includes(column), column);
    const result = input.results['period-mask'].result as unknown as PeriodMaskResult;
    const pColumn = table.columns.indexOf('p (permutation)');
    result.settings.forEach((s, i) => {
      const p = s.comparison.permutation.p;
      assert.equal(table.rows[i + 1][pColumn], p < 0.001 ? '< 0.001' : formatP(p));
      const verdict = `${s.setting} vs original: ${comparisonVerdict(s.comparison)}.`;
      assert.ok(period.notes.includes(verdict), verdict);
      assert.match(
        verdict,
        /^[a-z-]+ vs original: (not )?significant: p (=|<) [\d.]+, \d+ of 5 queries moved/,
      );
    });
    assert.ok(period.notes.some((n) => n.includes('2,000 resamples, seed 1')));
    // Drill-down: one chart per setting where a query moved, and one table row per moved query.
    const moved = result.settings.filter((s) => s.comparison.improved + s.comparison.hurt > 0);
    assert.deepEqual(
      period.charts.map((c) => c.id),
      moved.map((s) => `drill-period-mask-${s.setting}`),
    );
    const movedTable = period.tables.find((t) => t.columns.includes('rank before'));
    const movedCount = moved.reduce((n, s) => n + s.comparison.improved + s.comparison.hurt, 0);
    assert.equal(movedTable?.rows.length ?? 0, movedCount);
    // Head importance: layers 1..L and heads 1..H on the chart and in the table, one paired test per head.
    const heads = sections.find((s) => s.id === 'head-importance')!;
    const yAxis = heads.charts[0].option.yAxis as { data: string[] };
    assert.deepEqual(yAxis.data, ['1', '2']);
    assert.deepEqual(
      heads.tables[0].rows.map((r) => [r[0], r[1]]),
      [
        [1, 1],
        [1, 2],
        [2, 1],
        [2, 2],
      ],
    );
    assert.deepEqual((heads.charts[0].option.xAxis as { data: string[] }).data, ['1', '2']);
    // The colour bar lies under the grid, clear of its cells and of the axis name: horizontal, and its bottom
    // edge plus its thickness (echarts' itemWidth, 20 by default) and labels end above where the grid begins.
    const bar = heads.charts[0].option.visualMap as { orient: string; bottom: number; itemWidth?: number };
    const grid = heads.charts[0].option.grid as { bottom: number };
    assert.equal(bar.orient, 'horizontal');
    assert.ok(
      bar.bottom + (bar.itemWidth ?? 20) + 40 <= grid.bottom,
      `${JSON.stringify(bar)} vs ${grid.bottom}`,
    );
    const rerank = sections.find((s) => s.id === 'rerank')!;
    assert.equal(rerank.tables[1].rows.length, 4);
    assert.ok(!rerank.description.includes('fround'));
  });

  it('says settings in words: none given is the defaults, nested ones inline', () => {
    assert.equal(settingsLine({}), "Settings: the analysis's defaults.");
    assert.equal(
      settingsLine({ kind: 'attention', selection: { kind: 'rank', topK: 10 }, heldOut: undefined }),
      'Settings: kind: attention; selection: kind rank, topK 10.',
    );
  });

  it("draws the paper's 12 layers by relative depth beside a shallower model, or at their published numbers", () => {
    const paperOf = (sections: ReturnType<typeof reportSections>) =>
      (sections[0].charts[0].option.series as { name: string; data: number[][] }[]).find((s) =>
        s.name.startsWith('Query (paper'),
      )!.data;
    const legendOf = (sections: ReturnType<typeof reportSections>) =>
      (sections[0].charts[0].option.legend as { data: string[] }).data;
    const relative = reportSections(input.results, LIGHT_PALETTE);
    const published = reportSections(input.results, LIGHT_PALETTE, { paperLayers: 'published' });
    // Paper layer 11 of 12 sits at 11 * 2 / 12 on this 2-layer model's axis; published, at 11.
    assert.deepEqual(
      paperOf(relative).map(([x]) => x),
      Array.from({ length: 12 }, (_, l) => Number(((l * spec.layers) / 12).toFixed(3))),
    );
    assert.deepEqual(
      paperOf(published).map(([x]) => x),
      Array.from({ length: 12 }, (_, l) => l),
    );
    assert.deepEqual(
      paperOf(relative).map(([, y]) => y),
      paperOf(published).map(([, y]) => y),
    );
    // The chart's legend says which: "(paper, by depth)" moved to this model's depth, "(paper)" as published.
    assert.ok(legendOf(relative).includes('Query (paper, by depth)'));
    assert.ok(legendOf(published).includes('Query (paper)'));
    assert.ok(!legendOf(published).some((name) => name.includes('by depth')));
    assert.ok(relative[0].notes.some((n) => n.includes('relative depth')));
    assert.ok(!published[0].notes.some((n) => n.includes('relative depth')));
  });

  it('is one offline HTML file: data and script inline, nothing fetched, no early </script>', () => {
    const bundle = 'window.x = "</script>"; console.log(1);';
    const html = reportHtml(input, bundle);
    assert.ok(!/<script[^>]+src=/i.test(html) && !/<link[^>]+href=/i.test(html));
    assert.equal(html.match(/<\/script>/g)?.length, 2); // the data element and the bundle's own end
    const data = /<script type="application\/json" id="ranklens-report-data">([\s\S]*?)<\/script>/.exec(
      html,
    )![1];
    const parsed = JSON.parse(data) as ReportInput;
    assert.equal(parsed.model.name, 'tiny </script><b>');
    assert.deepEqual(Object.keys(parsed.results), Object.keys(input.results));
    assert.ok(html.includes('<title>RankLens report — tiny &lt;/script&gt;&lt;b&gt;</title>'));
  });
});
