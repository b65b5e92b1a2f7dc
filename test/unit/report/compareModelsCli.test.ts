// `ranklens analyze NAME --model A --model B`: the two models RankLens ships (the bundled MiniLM-L6 and the tests'
// small model) run on the sample's real held-out pairs; the comparison it writes must be exactly what comparing
// the two result files' per-query values gives, mismatches must be said, bad input refused before any work.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import type { PeriodMaskResult } from '../../../src/core/analysis/period-mask/periodMask';
import type { ResultFile } from '../../../src/core/analysis/runner';
import { comparePaired } from '../../../src/core/eval/significance';
import {
  comparisonMismatches,
  MODEL_COMPARISON_FORMAT,
  type ModelComparisonFile,
} from '../../../src/core/report/compareModels';
import { overlayModels } from '../../../src/core/report/overlay';
import { LIGHT_PALETTE, reportSections } from '../../../src/core/report/sections';
import { captureOutput } from '../../support/captureOutput';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../support/paths';
import { tempDir } from '../../support/tempFiles';

const SMALL_MODEL_DIR = path.join(REPO_ROOT, 'models', 'ranklens-mini');
const SAMPLE = path.join(REPO_ROOT, 'sample-workspace');

const dataArgs = (sample = '4', seed = '1', depth = '5') => [
  '--collection',
  path.join(SAMPLE, 'collection.tsv'),
  '--queries',
  path.join(SAMPLE, 'queries.dev600-heldout.tsv'),
  '--qrels',
  path.join(SAMPLE, 'qrels.dev600-heldout.txt'),
  '--run',
  path.join(SAMPLE, 'run.dev600-heldout.bm25.tsv'),
  '--depth',
  depth,
  '--sample',
  sample,
  '--seed',
  seed,
  '--threads',
  '1',
];
const models = ['--model', DEFAULT_MODEL_DIR, '--model', SMALL_MODEL_DIR];
const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

let root: string;
let out: string;
let run: { code: number; out: string; err: string };

before(async () => {
  root = tempDir('compare-models');
  out = path.join(root, 'pm');
  run = await captureOutput(() => main(['analyze', 'period-mask', ...models, ...dataArgs(), '--out', out]));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('ranklens analyze with two models', () => {
  it('runs each model into its own folder and compares them exactly as comparePaired does on their files', () => {
    assert.equal(run.code, 0, run.err);
    const a = readJson<ResultFile>(path.join(out, 'ranklens-minilm-l6', 'result.json'));
    const b = readJson<ResultFile>(path.join(out, 'ranklens-mini', 'result.json'));
    assert.deepEqual([a.model.name, b.model.name], ['ranklens-minilm-l6', 'ranklens-mini']);
    const comparison = readJson<ModelComparisonFile>(path.join(out, 'comparison.json'));
    assert.equal(comparison.format, MODEL_COMPARISON_FORMAT);
    assert.deepEqual(
      comparison.models.map((m) => [m.name, m.numLayers]),
      [
        ['ranklens-minilm-l6', 6],
        ['ranklens-mini', 6],
      ],
    );
    const [only] = comparison.comparisons;
    assert.deepEqual([only.a, only.b, only.mismatches], ['ranklens-minilm-l6', 'ranklens-mini', []]);
    const pa = (a.result as unknown as PeriodMaskResult).perQuery;
    const pb = (b.result as unknown as PeriodMaskResult).perQuery;
    assert.deepEqual(pa.qids, pb.qids);
    assert.equal(pa.qids.length, 4);
    const expected = [
      ['original MRR@10', pa.original, pb.original],
      ...(Object.keys(pa.settings) as (keyof typeof pa.settings)[]).map(
        (s) => [`${s} MRR@10`, pa.settings[s], pb.settings[s]] as const,
      ),
    ] as const;
    assert.deepEqual(
      only.metrics.map((m) => m.metric),
      expected.map(([metric]) => metric),
    );
    for (const [metric, va, vb] of expected) {
      const row = only.metrics.find((m) => m.metric === metric)!;
      // The file went through JSON: compare with the direct call's JSON form.
      assert.deepEqual(row.comparison, JSON.parse(JSON.stringify(comparePaired(va, vb))), metric);
      assert.deepEqual(row.perQuery, { qids: pa.qids, a: va, b: vb });
    }
    // The terminal table: one row per metric, B's and A's means as the files give them.
    const original = only.metrics[0].comparison;
    assert.match(
      run.out,
      new RegExp(
        `period-mask +original MRR@10 +4 +${original.baseline.mean.toFixed(4)} +${original.treatment.mean.toFixed(4)}`,
      ),
    );
    assert.match(run.out, /ranklens-mini \(B\) against ranklens-minilm-l6 \(A\)/);
  });

  it('says what cannot be paired: other queries, other pairs, analyses only one model has', async () => {
    const other = path.join(root, 'other-sample');
    const single = await captureOutput(() =>
      main(['analyze', 'period-mask', '--model', SMALL_MODEL_DIR, ...dataArgs('4', '7'), '--out', other]),
    );
    assert.equal(single.code, 0, single.err);
    const a = readJson<ResultFile>(path.join(out, 'ranklens-minilm-l6', 'result.json'));
    const b = readJson<ResultFile>(path.join(other, 'result.json'));
    const qa = (a.result as unknown as PeriodMaskResult).perQuery.qids;
    const qb = (b.result as unknown as PeriodMaskResult).perQuery.qids;
    const shared = qa.filter((q) => qb.includes(q)).length;
    assert.ok(shared < 4, 'another seed draws other queries');
    const lines = comparisonMismatches(
      { 'period-mask': a, rerank: a },
      { 'period-mask': b },
      { a: 'L6', b: 'mini' },
    );
    assert.ok(lines.includes('Only L6 has rerank: not compared.'), lines.join('\n'));
    assert.ok(
      lines.some((l) => /^period-mask: the two results are over different pairs/.test(l)),
      lines.join('\n'),
    );
    const metric = shared
      ? `period-mask, original MRR@10: paired over the ${shared} queries both ran; ${4 - shared} only L6 ran and ${4 - shared} only mini ran are left out.`
      : 'period-mask, original MRR@10: the two results share no query: nothing to pair.';
    assert.ok(lines.includes(metric), lines.join('\n'));

    // A third model: each other model gets its own section against the first, with drill-downs of its own.
    const three = reportSections({ 'period-mask': a }, LIGHT_PALETTE, {
      modelName: 'L6',
      compareWith: [
        {
          name: 'mini',
          results: { 'period-mask': readJson<ResultFile>(path.join(out, 'ranklens-mini', 'result.json')) },
        },
        { name: 'mini-seed-7', results: { 'period-mask': b } },
      ],
    });
    assert.deepEqual(
      three.map((s) => s.id),
      ['period-mask', 'model-comparison', 'model-comparison-2'],
    );
    assert.deepEqual(
      three.slice(1).map((s) => s.title),
      ['Two models: L6 (A) and mini (B)', 'Two models: L6 (A) and mini-seed-7 (B)'],
    );
    const drillIds = three.flatMap((s) => s.charts.flatMap((c) => (c.drill ? [c.drill.comparison] : [])));
    assert.ok(drillIds.length > 0);
    assert.equal(new Set(drillIds).size, drillIds.length, drillIds.join(', '));
  });

  it("draws B's curves into A's charts and adds the comparison section", async () => {
    const dir = path.join(root, 'im');
    const im = await captureOutput(() =>
      main(['analyze', 'interaction-mask', ...models, ...dataArgs('2', '1', '2'), '--out', dir]),
    );
    assert.equal(im.code, 0, im.err);
    const a = readJson<ResultFile>(path.join(dir, 'ranklens-minilm-l6', 'result.json'));
    const b = readJson<ResultFile>(path.join(dir, 'ranklens-mini', 'result.json'));
    const sections = reportSections({ 'interaction-mask': a }, LIGHT_PALETTE, {
      compareWith: [{ name: 'ranklens-mini', results: { 'interaction-mask': b } }],
      modelName: 'ranklens-minilm-l6',
    });
    assert.deepEqual(
      sections.map((s) => s.id),
      ['interaction-mask', 'model-comparison'],
    );
    const chart = sections[0].charts.find((c) => c.id === 'interaction-mask')!;
    type Series = { name: string; data: number[][]; lineStyle: { type: unknown } };
    const series = chart.option.series as Series[];
    const named = (name: string) => series.find((s) => s.name === name)!;
    const mrrB = (b.result as unknown as { directions: Record<string, { mrr10: number[] }> }).directions;
    assert.deepEqual(
      named('mask both · ranklens-mini').data,
      mrrB.both.mrr10.map((v, depth) => [depth, v]),
    );
    assert.notEqual(named('mask both · ranklens-mini').lineStyle.type, 'solid');
    assert.equal(named('mask both · ranklens-minilm-l6').lineStyle.type, 'solid');
    // The paper's values stay once, as drawn for A.
    assert.equal(series.filter((s) => s.name.startsWith('mask both (paper')).length, 1);
    assert.ok((chart.option.legend as { data: string[] }).data.includes('mask both · ranklens-mini'));
    assert.match(sections[0].notes.at(-1)!, /^Models overlaid: ranklens-minilm-l6 .*ranklens-mini/);

    // A model of another depth meets A's layer axis by relative depth (its layer l at l × 6/L).
    const ownB = reportSections({ 'interaction-mask': b }, LIGHT_PALETTE);
    const [deeper] = overlayModels(
      { name: 'A', layers: 6 },
      reportSections({ 'interaction-mask': a }, LIGHT_PALETTE),
      [{ name: 'B', layers: 3, sections: ownB }],
      LIGHT_PALETTE,
    );
    const both = (deeper.charts[0].option.series as Series[]).find((s) => s.name === 'mask both · B')!;
    assert.deepEqual(
      both.data.map(([x]) => x),
      mrrB.both.mrr10.map((_, depth) => depth * 2),
    );
    assert.match(deeper.notes.at(-1)!, /B's layer l \(of 3\) at l × 6\/3/);
  });

  it('refuses bad model lists before any work, and never replaces a file it did not write', async () => {
    const target = path.join(root, 'refused');
    const refused = async (argv: string[], code: number, message: RegExp) => {
      const r = await captureOutput(() =>
        main(['analyze', 'period-mask', ...argv, ...dataArgs(), '--out', target]),
      );
      assert.equal(r.code, code, r.err);
      assert.match(r.err, message);
      assert.equal(fs.existsSync(target), false, 'nothing written');
    };
    await refused(
      ['--model', DEFAULT_MODEL_DIR, '--model', `${DEFAULT_MODEL_DIR}${path.sep}.${path.sep}`],
      2,
      /--model .* and --model .* are the same folder/,
    );
    await refused(
      ['--model', DEFAULT_MODEL_DIR, '--model', SAMPLE],
      1,
      /sample-workspace has no config\.json/,
    );
    await refused([...models, '--shard', '1/2'], 2, /--shard runs one model/);
    const report = await captureOutput(() =>
      main(['report', '--model', SMALL_MODEL_DIR, '--model', SMALL_MODEL_DIR, '--out', `${target}.html`]),
    );
    assert.equal(report.code, 2);
    assert.match(report.err, /are the same folder/);
    const own = await captureOutput(() =>
      main(['report', '--out', `${target}.html`, '--compare', `${target}.html.d${path.sep}`]),
    );
    assert.equal(own.code, 2);
    assert.match(own.err, /is this report's own --work-dir/);
    assert.equal(fs.existsSync(`${target}.html`), false);

    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'comparison.json'), 'my notes\n');
    const r = await captureOutput(() =>
      main(['analyze', 'period-mask', ...models, ...dataArgs(), '--out', target]),
    );
    assert.equal(r.code, 1);
    assert.match(r.err, /comparison\.json.*RankLens does not replace it/);
    assert.equal(fs.readFileSync(path.join(target, 'comparison.json'), 'utf8'), 'my notes\n');
    assert.deepEqual(fs.readdirSync(target), ['comparison.json'], 'refused before running a model');
  });
});
