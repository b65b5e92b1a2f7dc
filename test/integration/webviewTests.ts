// The webview foundation (src/protocol, src/extension/webviews): CSP, theme changes, state restore.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NotificationBody, Protocol } from '../../src/protocol/endpoint';
import type { WebviewHost } from '../../src/extension/webviews/webviewHost';
import type { AttributionProtocol } from '../../src/protocol/attribution';
import { withTimeout, type IntegrationTest } from './harness';
import { canPressKeys, pressKeys } from './keyboard';
import { THEMES, screenshot, setTheme } from './screenshots';
import { EXTENSION_ID, api } from './extensionApi';

type IgRendered = NotificationBody<AttributionProtocol, 'host', 'rendered'>;

function sharedData(...parts: string[]): string {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  const base = process.env.RANKLENS_SHARED_DATA ?? path.resolve(root, '..', 'shared', 'data');
  const file = path.join(base, ...parts);
  assert.ok(existsSync(file), `test data missing: ${file}`);
  return file;
}

/** The view's `rendered` report that satisfies `accept`: the latest one, or the next ones as they come. */
export async function renderedWhere<P extends Protocol & { toHost: { rendered: unknown } }>(
  host: WebviewHost<P>,
  accept: (r: NotificationBody<P, 'host', 'rendered'>) => boolean,
  what: string,
  options: { readonly fresh?: boolean; readonly ms?: number } = {},
): Promise<NotificationBody<P, 'host', 'rendered'>> {
  const ms = options.ms ?? 30_000;
  const deadline = Date.now() + ms;
  let report = await withTimeout(options.fresh ? host.next('rendered') : host.latestOr('rendered'), ms, what);
  while (!accept(report)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out: ${what}; last report ${JSON.stringify(report)}`);
    report = await withTimeout(host.next('rendered'), left, what);
  }
  return report;
}

export const webviewTests: IntegrationTest[] = [
  {
    name: 'evaluation and IG panels: strict CSP without violations, separate labelled scales, live theme changes (screenshots)',
    run: async () => {
      const rl = await api();
      const evaluation = await rl.evaluateRun({
        run: sharedData('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'),
        qrels: sharedData('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv'),
      });
      assert.ok(evaluation);
      await withTimeout(evaluation.panel.whenRendered(), 60_000, 'evaluation render');
      const L = (await rl.model()).info.numLayers;
      const attribution = await rl.attributePair({
        query: 'what was the manhattan project',
        passage:
          'The Manhattan Project was the research effort of World War II that produced the first nuclear weapons. It was led by the United States.',
        layers: [0, 1, L],
      });
      assert.ok(attribution);
      const ig = attribution.panel.host;
      const first = await renderedWhere(ig, () => true, 'IG render');
      // Query and passage on their own scales: the passage is visibly coloured at the opening layer. The bundled
      // model puts its attribution on a few WordPieces, so a sixth of the spans is the bar; on one shared scale the
      // passage would be pale and only the query's handful of spans would count.
      assert.ok(
        first.visiblyColored >= first.coloredSpans / 6,
        `only ${first.visiblyColored} of ${first.coloredSpans} spans visibly coloured`,
      );
      // The layers x tokens heatmap: each layer (row) on its own colour scale by default, so every layer with
      // attributions is visibly coloured as drawn — the lowest included; on one scale for all layers the
      // row with the smallest attributions pales beside the largest.
      assert.equal(first.heatScale, 'per-layer');
      const ownScale = first.heatmapColouredCells;
      assert.ok(ownScale[0] >= 5, `layer 0 row: only ${ownScale[0]} cells visibly coloured on its own scale`);
      first.heatmapRowMax.forEach((max, row) =>
        assert.ok(max === 0 || ownScale[row] >= 1, `row ${row} (max ${max}) drawn blank on its own scale`),
      );
      const shared = await ig.request('setHeatScale', { scale: 'shared' });
      const rows = first.heatmapRowMax.map((max, row) => ({ max, row })).filter((r) => r.max > 0);
      const smallest = rows.reduce((a, b) => (b.max < a.max ? b : a));
      const largest = Math.max(...rows.map((r) => r.max));
      console.log(
        `IG heatmap rows (max |a| ${first.heatmapRowMax.map((m) => m.toPrecision(2)).join(', ')}): coloured cells per layer ${ownScale.join('/')}, on one scale ${shared.heatmapColouredCells.join('/')}`,
      );
      if (smallest.max < largest / 4)
        assert.ok(
          shared.heatmapColouredCells[smallest.row] < ownScale[smallest.row],
          `row ${smallest.row} on one scale: ${shared.heatmapColouredCells[smallest.row]} coloured cells, on its own ${ownScale[smallest.row]}`,
        );
      await screenshot('attribution-heatmap-one-scale');
      if (canPressKeys()) {
        // Keyboard only: Tab to the checkbox, Space: back to a scale per layer.
        attribution.panel.panel.reveal(vscode.ViewColumn.One, false);
        await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
        await pressKeys('ig-heat-scale', { tabTo: '#heat-shared', keys: [' '] });
        await renderedWhere(ig, (r) => r.heatScale === 'per-layer', 'per-layer scale by key');
      } else await ig.request('setHeatScale', { scale: 'per-layer' });
      // Layer L: the classifier reads only [CLS], so no text token is coloured.
      const top = await withTimeout(ig.request('selectLayer', { layer: L }), 30_000, 'select layer L');
      assert.equal(top.layer, L);
      assert.equal(top.visiblyColored, 0);
      await ig.request('selectLayer', { layer: 1 });
      const axisColors = new Map<string, string>();
      for (const theme of THEMES) {
        await setTheme(theme);
        // A hidden panel's document is gone; revealing it reloads it and the host restores its content.
        const evaluationHidden: boolean = !evaluation.panel.panel.visible;
        const evaluated = renderedWhere(evaluation.panel.host, () => true, `evaluation in ${theme.slug}`, {
          fresh: evaluationHidden,
        });
        evaluation.panel.panel.reveal(vscode.ViewColumn.One);
        assert.ok((await evaluated).charts >= 1);
        await screenshot(`evaluation-${theme.slug}`);
        if (theme.slug === 'light') await screenshot('readme-evaluation', { clip: 'editor' });
        const igHidden: boolean = !attribution.panel.panel.visible;
        const rendered: Promise<IgRendered> = renderedWhere(
          ig,
          (r) => r.theme === theme.bodyClass,
          `IG in ${theme.slug}`,
          {
            fresh: igHidden,
          },
        );
        attribution.panel.panel.reveal(vscode.ViewColumn.One);
        const drawn = await rendered;
        // The restored view keeps the layer picked before it was hidden.
        assert.equal(drawn.layer, 1);
        assert.ok(drawn.visiblyColored > 0, `${theme.slug}: nothing coloured`);
        axisColors.set(theme.slug, drawn.axisLabelColor);
        await screenshot(`attribution-${theme.slug}`);
        if (theme.slug === 'light') await screenshot('readme-attribution', { clip: 'editor' });
      }
      assert.notEqual(axisColors.get('light'), axisColors.get('dark'), 'the heatmap labels follow the theme');
      if (canPressKeys()) {
        // Keyboard only: Shift+Tab back to the layer selector, open it, next layer, Enter.
        await setTheme(THEMES[0]);
        attribution.panel.panel.reveal(vscode.ViewColumn.One, false);
        await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
        await pressKeys('ig-layer', {
          tabTo: '#layer',
          back: true,
          keys: ['ArrowDown', 'ArrowDown', 'Enter'],
        });
        await renderedWhere(ig, (r) => r.layer === L, 'IG layer chosen by keys');
      }
      for (const host of [evaluation.panel.host, ig] as WebviewHost<Protocol>[])
        assert.deepEqual(host.cspViolations, [], 'Content-Security-Policy violations');
      await setTheme(THEMES[0]);
    },
  },
];
