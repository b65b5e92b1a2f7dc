// From a dataset number to the pairs behind it (issue 20): a Table 1 row (or a Figure 4 depth) of the report panel →
// its per-query breakdown → a query's ranking before/after → the pair in the inspector with the same what-if; then
// the inspector's "run this over the split" back to the dataset analysis. Screenshots in three themes.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PeriodMaskResult } from '../../src/core/analysis/period-mask/periodMask';
import {
  INTERACTION_DIRECTIONS,
  type InteractionDirection,
  type InteractionResult,
} from '../../src/core/analysis/interaction-mask/interactionMask';
import { movedQueries } from '../../src/core/report/drillDown';
import type { AnalyzeOutcome } from '../../src/extension/commands/analyze';
import type { QueryRanking } from '../../src/protocol/report';
import { BUNDLED_MODEL_FOLDER } from '../../src/core/model/bundled';
import { withTimeout, type IntegrationTest } from './harness';
import { inspectorWhere } from './inspectorTests';
import { THEMES, screenshot, setTheme } from './screenshots';
import { EXTENSION_ID, api, sampleSplit } from './extensionApi';

/** MRR@10's term of a ranked list: 1 / rank of its first passage judged >= minRelevance, within the top 10. */
function reciprocalRank(
  list: QueryRanking['before'],
  grades: ReadonlyMap<string, number>,
  minRelevance: number,
) {
  const first = list.find((c) => (grades.get(c.pid) ?? 0) >= minRelevance);
  return first && first.rank <= 10 ? 1 / first.rank : 0;
}

/** The qrels grades of one query of a split. */
function gradesOf(qrels: string, qid: string): Map<string, number> {
  return new Map(
    readFileSync(qrels, 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[0] === qid)
      .map((f) => [f[2], Number(f[3])] as const),
  );
}

/** The bundled model and the sample dataset, open. */
async function openSample() {
  const rl = await api();
  const bundled = path.join(
    vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath,
    BUNDLED_MODEL_FOLDER,
  );
  if ((await rl.model()).dir !== bundled) await rl.selectModel(bundled);
  await rl.openDataset({ folder: rl.sampleFolder });
  return { rl, heldOut: sampleSplit(rl.sampleFolder, 'dev600-heldout') };
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

export const drillDownTests: IntegrationTest[] = [
  {
    name: 'drill-down: a Table 1 row opens its queries, a query its ranking before/after, a pair the inspector with the same mask; the what-if runs over the split (screenshots in 3 themes)',
    run: async () => {
      const { heldOut } = await openSample();

      // The palette's default: 10 queries of the held-out split, top 20 of BM25.
      const outcome = await withTimeout(
        Promise.resolve(
          vscode.commands.executeCommand<AnalyzeOutcome | undefined>('ranklens.analyzePeriodMasking', {
            split: heldOut,
            sample: 10,
            depth: 20,
          }),
        ),
        240_000,
        'period masking',
      );
      assert.ok(outcome, 'period masking returned nothing (see the RankLens log)');
      const { panel } = outcome;
      const r = outcome.result.result as unknown as PeriodMaskResult;
      await withTimeout(panel.whenRendered(), 60_000, 'report panel render');

      // Click 1: the setting's row in Table 1 (the one that moved most queries) → its per-query breakdown.
      const setting = [...r.settings].sort(
        (a, b) => b.comparison.improved + b.comparison.hurt - (a.comparison.improved + a.comparison.hurt),
      )[0];
      const expected = movedQueries({
        id: setting.setting,
        label: setting.setting,
        qids: r.perQuery.qids,
        baseline: r.perQuery.original,
        treatment: r.perQuery.settings[setting.setting],
      });
      assert.ok(expected.length > 0, `no query moved under any setting: ${JSON.stringify(r.settings)}`);
      const comparison = `period-mask-${setting.setting}`;
      const breakdown = await withTimeout(panel.drill({ comparison }), 30_000, 'open the breakdown');
      assert.equal(breakdown.comparison, comparison);
      assert.deepEqual(
        breakdown.queries,
        expected.map((m) => m.qid),
        'the queries that moved, sorted by effect',
      );
      // The number with its interval and p, and the verdict in words.
      assert.match(breakdown.summary, /Δ [+−-]?\d\.\d+ \[[^\]]+\]/);
      assert.match(breakdown.summary, /(not )?significant: p [=<] [\d.]+, \d+ of 10 queries moved/);
      assert.equal(breakdown.error, '');

      // Click 2: the query that moved most → its ranking before and after, re-ranked by the model.
      const qid = expected[0].qid;
      const opened = await withTimeout(panel.drill({ comparison, qid }), 120_000, `re-rank query ${qid}`);
      assert.equal(opened.error, '');
      const ranking = opened.ranking;
      assert.ok(ranking, 'the ranking before/after is shown');
      assert.equal(ranking.qid, qid);
      assert.equal(ranking.before.length, 20);
      const grades = gradesOf(heldOut.qrels, qid);
      const i = r.perQuery.qids.indexOf(qid);
      const minRelevance = outcome.result.data.minRelevance;
      // The same reciprocal ranks as the analysis (its per-query terms of MRR@10), before and after.
      assert.ok(
        close(reciprocalRank(ranking.before, grades, minRelevance), r.perQuery.original[i]),
        'before',
      );
      assert.ok(
        close(reciprocalRank(ranking.after, grades, minRelevance), r.perQuery.settings[setting.setting][i]),
        'after',
      );
      assert.ok(
        ranking.after.every((c) => c.changed === c.grade >= minRelevance),
        'only relevant passages change',
      );

      // Screenshots of the drill-down in the three themes.
      for (const theme of THEMES) {
        await setTheme(theme);
        panel.panel.reveal(vscode.ViewColumn.One);
        await withTimeout(panel.whenRendered(), 30_000, `report in ${theme.slug}`);
        const shown = await withTimeout(
          panel.drill({ comparison }),
          30_000,
          'drill-down after a theme change',
        );
        assert.equal(shown.ranking?.qid, qid, 'the open drill-down survives the panel being redrawn');
        await screenshot(`drilldown-${theme.slug}`, { clip: 'editor', settleMs: 1200 });
      }
      await setTheme(THEMES[0]);

      // Click 3: a changed (relevant) passage → the pair inspector with the same what-if applied.
      const pair = ranking.after.find((c) => c.changed);
      assert.ok(pair, 'the query has a relevant passage');
      await withTimeout(panel.drill({ comparison, qid, pid: pair.pid }), 180_000, 'open the pair');
      const inspected = panel.inspected;
      assert.ok(inspected, 'the inspector opened');
      assert.equal(inspected.session.pair.qid, qid);
      assert.equal(inspected.session.pair.pid, pair.pid);
      const snapshot = await inspectorWhere(inspected, (s) => s.whatIfs.length === 1, 'the preset what-if');
      const label =
        setting.setting === 'comma'
          ? 'periods → commas'
          : `${setting.setting === 'token-mask' ? 'token' : 'attention'} mask all tokens → periods, all layers`;
      assert.equal(snapshot.whatIfs[0].label, label);
      if (setting.setting !== 'comma') {
        assert.equal(snapshot.maskKind, setting.setting === 'token-mask' ? 'token' : 'attention');
        assert.equal(snapshot.maskTo, 'periods');
      }
      // The same score as in the ranking after the change (one pair alone vs a batch: float32 rounding).
      assert.ok(
        Math.abs(snapshot.whatIfs[0].score - pair.score) < 1e-4,
        `${snapshot.whatIfs[0].score} vs ${pair.score}`,
      );
      await screenshot('drilldown-inspector', { clip: 'editor', settleMs: 1200 });

      // "Run this over the split": the what-if's row launches period masking on the query's split.
      const whatIfId = inspected.inspector.whatIfIds()[0];
      const rerun = (await withTimeout(
        inspected.inspector.runOverSplit(whatIfId, 10),
        240_000,
        'run over the split',
      )) as AnalyzeOutcome | undefined;
      assert.ok(rerun, 'the analysis ran');
      assert.equal(rerun.result.analysis, 'period-mask');
      assert.equal(rerun.result.data.queries, 10);
      assert.deepEqual(rerun.result.result, outcome.result.result, 'the same setting over the same queries');
      for (const host of [panel.host, inspected.inspector.host])
        assert.deepEqual(host.cspViolations, [], 'Content-Security-Policy violations');
    },
  },
  {
    name: "drill-down: a Figure 4 depth opens its queries, a query its ranking with that interaction mask, a pair the inspector with it; the palette's significance settings reach result.json",
    run: async () => {
      const { heldOut } = await openSample();
      // The report alone in the window (the screenshots).
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      // Settings: RankLens › Significance, as a user sets them; the analysis states them in result.json.
      const config = vscode.workspace.getConfiguration('ranklens.significance');
      await config.update('alpha', 0.1, vscode.ConfigurationTarget.Global);
      await config.update('resamples', 500, vscode.ConfigurationTarget.Global);
      try {
        // Few queries: every direction at every depth is scored for each pair.
        const outcome = await withTimeout(
          Promise.resolve(
            vscode.commands.executeCommand<AnalyzeOutcome | undefined>('ranklens.analyzeInteractionMasking', {
              split: heldOut,
              sample: 4,
              depth: 20,
              settings: { kind: 'attention' },
            }),
          ),
          300_000,
          'interaction masking',
        );
        assert.ok(outcome, 'interaction masking returned nothing (see the RankLens log)');
        const { panel } = outcome;
        const r = outcome.result.result as unknown as InteractionResult;
        assert.equal(r.significance.alpha, 0.1, "the palette's alpha is in result.json");
        assert.equal(r.significance.resamples, 500, "the palette's resamples are in result.json");
        assert.match(
          r.significance.method,
          /90% intervals: percentile bootstrap over queries, 500 resamples/,
        );
        await withTimeout(panel.whenRendered(), 60_000, 'report panel render');

        // Click 1: the (direction, depth) that moved most queries, the shallowest of those: a point of the chart
        // (or its row of the comparison table) opens its per-query breakdown, drawn in the drill-down.
        const L = outcome.result.model.numLayers;
        const moved = (d: InteractionDirection, depth: number) =>
          movedQueries({
            id: `${d}-${depth}`,
            label: d,
            qids: r.perQuery.qids,
            baseline: r.perQuery.reciprocalRanks[d][0],
            treatment: r.perQuery.reciprocalRanks[d][depth],
          });
        const candidates = (Object.keys(INTERACTION_DIRECTIONS) as InteractionDirection[]).flatMap((d) =>
          Array.from({ length: L }, (_, k) => ({ direction: d, depth: k + 1, moved: moved(d, k + 1) })),
        );
        const chosen = candidates.sort((a, b) => b.moved.length - a.moved.length || a.depth - b.depth)[0];
        assert.ok(chosen.moved.length > 0, 'no query moved at any depth');
        const comparison = `interaction-${chosen.direction}-${chosen.depth}`;
        const breakdown = await withTimeout(panel.drill({ comparison }), 30_000, 'open the breakdown');
        assert.equal(breakdown.comparison, comparison);
        assert.deepEqual(
          breakdown.queries,
          chosen.moved.map((m) => m.qid),
        );
        assert.ok(breakdown.chartShown, 'the per-query chart is drawn once the breakdown is open');
        assert.match(breakdown.summary, /^MRR@10 [\d.]+ → [\d.]+, Δ [+−-]?\d\.\d+ \[[^\]]+\]/);
        assert.match(breakdown.summary, /(not )?significant: p [=<] [\d.]+, \d+ of 4 queries moved/);

        // Click 2: its query that moved most → the ranking before and after with that mask on every candidate.
        const qid = chosen.moved[0].qid;
        const opened = await withTimeout(panel.drill({ comparison, qid }), 120_000, `re-rank query ${qid}`);
        assert.equal(opened.error, '');
        const ranking = opened.ranking;
        assert.ok(ranking, 'the ranking before/after is shown');
        assert.equal(ranking.before.length, 20);
        assert.ok(
          ranking.after.every((c) => c.changed),
          'the interaction mask is on every candidate',
        );
        const grades = gradesOf(heldOut.qrels, qid);
        const i = r.perQuery.qids.indexOf(qid);
        const minRelevance = outcome.result.data.minRelevance;
        const ranks = r.perQuery.reciprocalRanks[chosen.direction];
        assert.ok(close(reciprocalRank(ranking.before, grades, minRelevance), ranks[0][i]), 'before');
        assert.ok(
          close(reciprocalRank(ranking.after, grades, minRelevance), ranks[chosen.depth][i]),
          'after',
        );
        for (const theme of THEMES) {
          await setTheme(theme);
          panel.panel.reveal(vscode.ViewColumn.One);
          await withTimeout(panel.whenRendered(), 30_000, `report in ${theme.slug}`);
          const shown = await withTimeout(
            panel.drill({ comparison }),
            30_000,
            'drill-down after a theme change',
          );
          assert.equal(shown.ranking?.qid, qid, 'the open drill-down survives the panel being redrawn');
          assert.ok(shown.chartShown, 'and its chart is drawn again');
          await screenshot(`drilldown-figure4-${theme.slug}`, { clip: 'editor', settleMs: 1200 });
        }
        await setTheme(THEMES[0]);

        // Click 3: the passage at the top after the mask → the inspector with the same mask in the same layers.
        const pair = ranking.after[0];
        await withTimeout(panel.drill({ comparison, qid, pid: pair.pid }), 180_000, 'open the pair');
        const inspected = panel.inspected;
        assert.ok(inspected, 'the inspector opened');
        assert.equal(inspected.session.pair.pid, pair.pid);
        const snapshot = await inspectorWhere(inspected, (s) => s.whatIfs.length === 1, 'the preset what-if');
        const sides = {
          'query-to-document': ['document-side', 'query-side', 'document side → query side'],
          'document-to-query': ['query-side', 'document-side', 'query side → document side'],
          both: ['query-side', 'document-side', 'query side ↔ document side'],
        }[chosen.direction];
        const span =
          chosen.depth === L ? 'all layers' : chosen.depth === 1 ? 'layer 1' : `layers 1-${chosen.depth}`;
        assert.equal(snapshot.whatIfs[0].label, `attention mask ${sides[2]}, ${span}`);
        assert.deepEqual(
          [snapshot.maskKind, snapshot.maskFrom, snapshot.maskTo, snapshot.maskLayers, snapshot.maskBothWays],
          ['attention', sides[0], sides[1], chosen.depth, chosen.direction === 'both'],
          'the controls show the mask (layers 1..i, 1-based)',
        );
        assert.ok(
          Math.abs(snapshot.whatIfs[0].score - pair.score) < 1e-4,
          `${snapshot.whatIfs[0].score} vs ${pair.score}`,
        );
        await screenshot('drilldown-figure4-inspector', { clip: 'editor', settleMs: 1200 });

        // "Run this over the split": interaction masking again, the same queries (its chunks are cached).
        const rerun = (await withTimeout(
          inspected.inspector.runOverSplit(inspected.inspector.whatIfIds()[0], 4),
          240_000,
          'run over the split',
        )) as AnalyzeOutcome | undefined;
        assert.ok(rerun, 'the analysis ran');
        assert.equal(rerun.result.analysis, 'interaction-mask');
        assert.deepEqual(
          rerun.result.result,
          outcome.result.result,
          'the same setting over the same queries',
        );
        for (const host of [panel.host, inspected.inspector.host])
          assert.deepEqual(host.cspViolations, [], 'Content-Security-Policy violations');
      } finally {
        await config.update('alpha', undefined, vscode.ConfigurationTarget.Global);
        await config.update('resamples', undefined, vscode.ConfigurationTarget.Global);
      }
    },
  },
];
