// Dataset analyses from the palette (issue 10): run end to end in the extension's worker, saved, drawn.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttributionAnalysisResult } from '../../src/core/analysis/attribution/layerAttribution';
import type { PeriodMaskResult } from '../../src/core/analysis/period-mask/periodMask';
import type { ProbingResult } from '../../src/core/analysis/probing/probing';
import type { ResultFile } from '../../src/core/analysis/runner';
import type { AnalyzeArgs, AnalyzeOutcome } from '../../src/extension/commands/analyze';
import { comparedModels } from '../../src/core/report/sections';
import type { ReportPanel } from '../../src/extension/webviews/reportPanel';
import { withTimeout, type IntegrationTest } from './harness';
import { screenshot } from './screenshots';
import { BUNDLED_MODEL_FOLDER } from '../../src/core/model/bundled';
import { EXTENSION_ID, api, sampleSplit } from './extensionApi';

async function analyze(command: string, args: AnalyzeArgs): Promise<AnalyzeOutcome> {
  const outcome = await withTimeout(
    Promise.resolve(vscode.commands.executeCommand<AnalyzeOutcome | undefined>(command, args)),
    240_000,
    command,
  );
  assert.ok(outcome, `${command} returned nothing (see the RankLens log)`);
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(workspace, 'the e2e driver opens a workspace folder');
  assert.ok(
    outcome.savedTo.startsWith(path.join(workspace, '.ranklens', 'analyses') + path.sep),
    outcome.savedTo,
  );
  const saved = JSON.parse(readFileSync(path.join(outcome.savedTo, 'result.json'), 'utf8')) as ResultFile;
  assert.deepEqual(saved, JSON.parse(JSON.stringify(outcome.result)), 'result.json is the result shown');
  return outcome;
}

export const analysisTests: IntegrationTest[] = [
  {
    name: 'palette analyses run in the worker: attribution, period masking and probing saved under .ranklens/analyses and drawn in the report panel',
    run: async () => {
      const rl = await api();
      const dir = path.join(
        vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath,
        BUNDLED_MODEL_FOLDER,
      );
      if ((await rl.model()).dir !== dir) await rl.selectModel(dir);
      await rl.openDataset({ folder: rl.sampleFolder });
      const heldOut = sampleSplit(rl.sampleFolder, 'dev600-heldout');
      const train = sampleSplit(rl.sampleFolder, 'dev600-train');
      const L = (await rl.model()).info.numLayers;

      // Figure 2: every relevant pair in the top 20 qualifies with top-K 20; one per query.
      const attribution = await analyze('ranklens.analyzeAttribution', {
        split: heldOut,
        sample: 3,
        depth: 20,
        settings: { selection: { kind: 'rank', topK: 20 } },
      });
      const a = attribution.result.result as unknown as AttributionAnalysisResult;
      assert.equal(attribution.result.data.queries, 3);
      assert.equal(attribution.result.model.numLayers, L);
      // With top-K = depth every query with a relevant candidate in its list gives one pair.
      assert.ok(a.relevantPairs >= a.attributedPairs, `${a.relevantPairs} relevant`);
      assert.ok(a.attributedPairs >= 1 && a.attributedPairs <= 3, `attributed ${a.attributedPairs}`);
      assert.equal(a.queries, 3);
      for (const b of a.baselines) {
        assert.equal(b.layers.length, L + 1);
        for (const l of b.layers) {
          const total = l.share.cls + l.share.sep + l.share.query + l.share.document;
          // Each integral is complete to IG's 5% tolerance, so their sums are too (F(x) - F(x') of one sign).
          assert.ok(Math.abs(total - 1) <= 0.05, `${b.baseline} ${l.layer}: ${total}`);
        }
      }
      const drawn = await withTimeout(attribution.panel.whenRendered(), 60_000, 'report panel render');
      assert.deepEqual(drawn, { sections: 1, charts: 2 });
      const svg = await withTimeout(
        attribution.panel.exportChart('attribution-empty-document', 'svg'),
        30_000,
        'Save SVG',
      );
      assert.equal(path.dirname(svg), attribution.savedTo);
      assert.match(readFileSync(svg, 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
      const png = await withTimeout(
        attribution.panel.exportChart('attribution-empty-query', 'png'),
        30_000,
        'Save PNG',
      );
      assert.equal(readFileSync(png).subarray(1, 4).toString('latin1'), 'PNG');
      await screenshot('analysis-attribution');

      // Table 1.
      const periods = await analyze('ranklens.analyzePeriodMasking', {
        split: heldOut,
        sample: 5,
        depth: 20,
      });
      const p = periods.result.result as unknown as PeriodMaskResult;
      assert.equal(periods.result.data.queries, 5);
      assert.deepEqual(
        p.settings.map((s) => s.setting),
        ['comma', 'token-mask', 'attention-mask'],
      );
      assert.ok(p.original.mrr10 >= 0 && p.original.mrr10 <= 1);

      // Compare Report with Another Model's Results…: another result folder drawn into the open report. A copy
      // of this result under another model name: every query pairs with itself, so nothing moves.
      const other = `${periods.savedTo}-other-model`;
      mkdirSync(other, { recursive: true });
      writeFileSync(
        path.join(other, 'result.json'),
        JSON.stringify({ ...periods.result, model: { ...periods.result.model, name: 'other-model' } }),
      );
      const redrawn = periods.panel.host.next('rendered');
      const compared = await vscode.commands.executeCommand<ReportPanel | undefined>(
        'ranklens.compareReport',
        {
          folder: other,
        },
      );
      assert.equal(compared, periods.panel, 'the report the user looked at last gets the comparison');
      const comparedDrawn = await withTimeout(redrawn, 60_000, 'compared report render');
      assert.equal(comparedDrawn.sections, 2, 'period masking and the model comparison');
      assert.deepEqual(
        comparedModels(periods.panel.input.compareWith).map((c) => c.name),
        ['other-model'],
      );

      // Figure 3: probes trained on other queries than they are evaluated on.
      const probing = await analyze('ranklens.analyzeProbing', {
        split: heldOut,
        trainSplit: train,
        sample: 2,
        trainSample: 3,
        depth: 10,
        settings: { epochs: 1, learningRate: 1e-3 },
      });
      const r = probing.result.result as unknown as ProbingResult;
      assert.equal(r.trainQueries, 3);
      assert.equal(r.evalQueries, 2);
      assert.equal(r.groups.length, 7);
      assert.ok(r.groups.every((g) => g.mrr.length === L + 1));
      assert.ok(existsSync(path.join(probing.savedTo, 'cache')), 'finished chunks are cached for a rerun');
      const probed = await withTimeout(probing.panel.whenRendered(), 60_000, 'probing panel render');
      assert.deepEqual(probed, { sections: 1, charts: 1 });
      assert.deepEqual(probing.panel.host.cspViolations, [], 'Content-Security-Policy violations');
      await screenshot('analysis-probing');
    },
  },
];
