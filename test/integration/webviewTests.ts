// The webview foundation (src/protocol, src/extension/webviews): CSP, theme changes, state restore.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RankLensApi } from '../../src/extension/extension';
import type { NotificationBody, Protocol } from '../../src/protocol/endpoint';
import type { WebviewHost } from '../../src/extension/webviews/webviewHost';
import type { AttributionProtocol } from '../../src/protocol/attribution';
import { withTimeout, type IntegrationTest } from './harness';
import { THEMES, screenshot, setTheme } from './screenshots';

const EXTENSION_ID = 'ranklens.ranklens';
type IgRendered = NotificationBody<AttributionProtocol, 'host', 'rendered'>;

async function api(): Promise<RankLensApi> {
  const extension = vscode.extensions.getExtension<RankLensApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this extension host`);
  return extension.activate();
}

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
      // Query and passage on their own scales: the passage is visibly coloured at the opening layer.
      assert.ok(
        first.visiblyColored >= first.coloredSpans / 3,
        `only ${first.visiblyColored} of ${first.coloredSpans} spans visibly coloured`,
      );
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
      for (const host of [evaluation.panel.host, ig] as WebviewHost<Protocol>[])
        assert.deepEqual(host.cspViolations, [], 'Content-Security-Policy violations');
      await setTheme(THEMES[0]);
    },
  },
];
