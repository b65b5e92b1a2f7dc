// The pair inspector and the attention explorer (issue 11), driven as a user would from the Dataset view.
import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RankLensApi } from '../../src/extension/extension';
import type { InspectPairOutcome } from '../../src/extension/commands/inspectPair';
import type { WebviewHost } from '../../src/extension/webviews/webviewHost';
import type { AttentionProtocol } from '../../src/protocol/attention';
import type { Protocol } from '../../src/protocol/endpoint';
import type { InspectorSnapshot } from '../../src/protocol/inspector';
import { tempDir, writeRandomCheckpoint } from '../support/checkpoints';
import { withTimeout, type IntegrationTest } from './harness';
import { THEMES, screenshot, setTheme } from './screenshots';
import { EXTENSION_ID, api } from './extensionApi';

/** The inspector's report once `accept` holds (polling its snapshot request). */
export async function inspectorWhere(
  outcome: InspectPairOutcome,
  accept: (s: InspectorSnapshot) => boolean,
  what: string,
  ms = 180_000,
): Promise<InspectorSnapshot> {
  const until = Date.now() + ms;
  for (;;) {
    const snapshot = await withTimeout(outcome.inspector.host.request('snapshot', {}), 30_000, what);
    if (accept(snapshot)) return snapshot;
    if (Date.now() > until) throw new Error(`timed out: ${what}; last ${JSON.stringify(snapshot)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function explorerHost(rl: RankLensApi): Promise<WebviewHost<AttentionProtocol>> {
  await vscode.commands.executeCommand('ranklens.showAttention');
  for (let i = 0; i < 200; i++) {
    const host = rl.attentionView();
    if (host) return host;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the attention explorer view was not created');
}

/** A DL19 query with a judged passage that the BM25 run ranks, from the sample workspace. */
export function pairFromSample(rl: RankLensApi): { qid: string; pid: string } {
  const d = rl.dataset();
  assert.ok(d, 'the sample dataset is open');
  const run = d.runs.find((r) => path.basename(r.file) === 'run.dl19.bm25.tsv') ?? d.runs[0];
  assert.ok(run, 'the sample has a run');
  for (const [qid, ranking] of run.rankings) {
    const judged = d.qrels.flatMap((q) => [...(q.judgements.get(qid) ?? new Map<string, number>())]);
    const relevant = judged.filter(([, grade]) => grade >= 2).map(([pid]) => pid);
    const hit = ranking.slice(0, 100).find((c) => relevant.includes(c.pid) && d.collection?.has(c.pid));
    if (hit && ranking.length >= 20) return { qid, pid: hit.pid };
  }
  throw new Error('no judged, ranked passage in the sample run');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export const inspectorTests: IntegrationTest[] = [
  {
    name: 'Inspect Pair from a Dataset-view passage row: score, rank among candidates, IG layer slider, masking what-ifs with undo; explorer follows (screenshots in 3 themes)',
    run: async () => {
      const rl = await api();
      await rl.openDataset({ folder: rl.sampleFolder });
      const contributes = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as {
        menus: Record<string, { command: string; when?: string }[]>;
      };
      const rowMenu = contributes.menus['view/item/context'].map((m) => m.command);
      for (const id of [
        'ranklens.inspectPair',
        'ranklens.scorePair',
        'ranklens.attributePair',
        'ranklens.showPassage',
      ])
        assert.ok(rowMenu.includes(id), `passage rows lack ${id} in their context menu`);
      const { qid, pid } = pairFromSample(rl);
      const model = await rl.model();
      const L = model.info.numLayers;
      // What the Dataset view's context menu passes: the passage row itself.
      const row = { kind: 'passage', pid, qid, label: pid };
      const outcome = await vscode.commands.executeCommand<InspectPairOutcome | undefined>(
        'ranklens.inspectPair',
        row,
      );
      assert.ok(outcome, 'no inspector');
      const ready = await inspectorWhere(
        outcome,
        (s) => s.attributionStatus === 'done' && /^\d+ of \d+$/.test(s.rankText),
        'score, rank and IG in the inspector',
      );
      assert.match(ready.scoreText, /^-?\d+\.\d{4}$/, 'the score is shown in the inspector');
      assert.ok(ready.tokens > 10, `${ready.tokens} token spans drawn`);
      // The bundled model concentrates attribution on a few WordPieces per sentence; an eighth of the spans
      // visibly coloured still fails if the passage were drawn on the query's scale (it would be pale).
      assert.ok(
        ready.visiblyColored >= ready.tokens / 8,
        `only ${ready.visiblyColored}/${ready.tokens} coloured`,
      );
      const [rank, of] = ready.rankText.split(' of ').map(Number);
      assert.ok(rank >= 1 && rank <= of && of >= 20, ready.rankText);
      // The layer slider: the top layer colours nothing (only [CLS] feeds the classifier), layer 1 does.
      const top = await outcome.inspector.host.request('setLayer', { layer: L });
      assert.equal(top.layer, L);
      assert.equal(top.visiblyColored, 0);
      const low = await outcome.inspector.host.request('setLayer', { layer: 1 });
      assert.ok(low.visiblyColored > 0);
      // Masking what-ifs: the query no longer sees the passage in any layer — the score must move.
      const masked = await withTimeout(
        outcome.inspector.host.request('applyWhatIf', {
          mask: { kind: 'token', from: { group: 'query' }, to: { group: 'document' }, layers: L },
          replacePeriods: false,
        }),
        120_000,
        'what-if',
      );
      assert.equal(masked.whatIfs.length, 1);
      const original = Number(ready.scoreText);
      assert.notEqual(masked.whatIfs[0].score.toFixed(4), original.toFixed(4), 'the mask changed nothing');
      assert.ok(masked.whatIfs[0].rank !== undefined && masked.whatIfs[0].rank >= 1, 'a new rank is shown');
      const undone = await outcome.inspector.host.request('undoWhatIf', {});
      assert.equal(undone.whatIfs.length, 0);
      const periods = await outcome.inspector.host.request('applyWhatIf', {
        mask: { kind: 'attention', from: { group: 'all' }, to: { group: 'periods' }, layers: L },
        replacePeriods: false,
      });
      assert.equal(periods.whatIfs.length, 1);
      const commas = await outcome.inspector.host.request('applyWhatIf', { replacePeriods: true });
      assert.equal(commas.whatIfs.length, 2);
      assert.equal(commas.whatIfs[1].label, 'periods → commas');

      // The explorer follows the inspector's pair.
      const explorer = await explorerHost(rl);
      const n = outcome.session.encoded.tokens.length;
      const modelView = await withTimeout(
        explorer.request('showMode', { mode: 'model' }),
        30_000,
        'model view',
      );
      assert.equal(modelView.thumbnails, L * model.info.numHeads);
      const headView = await explorer.request('showMode', { mode: 'head', layer: L - 1, head: 0 });
      assert.equal(headView.tokens, 2 * n, 'both token columns drawn');
      const summary = await explorer.request('showMode', { mode: 'summary' });
      assert.equal(summary.mode, 'summary');

      // Room for the explorer in the screenshots: the Dataset view hidden, the side bar wider.
      await vscode.commands.executeCommand('ranklens.dataset.removeView').then(undefined, () => undefined);
      await vscode.commands.executeCommand('ranklens.attention.focus');
      for (const theme of THEMES) {
        await setTheme(theme);
        outcome.inspector.panel.reveal(vscode.ViewColumn.One);
        await inspectorWhere(
          outcome,
          (s) => s.theme === theme.bodyClass && s.whatIfs.length === 2,
          `inspector in ${theme.slug}`,
        );
        await explorer.request('showMode', { mode: 'model' });
        await screenshot(`inspector-${theme.slug}`, { sidebarWidth: 480 });
        if (theme.slug === 'dark') {
          await screenshot('readme-inspector', { clip: 'editor' });
          await screenshot('readme-attention-model', { clip: 'sidebar' });
        }
        const head = await explorer.request('showMode', { mode: 'head', layer: L - 1, head: 0 });
        assert.equal(head.theme, theme.bodyClass);
        await screenshot(`attention-head-${theme.slug}`);
        if (theme.slug === 'light') await screenshot('readme-attention-head', { clip: 'sidebar' });
        await explorer.request('showMode', { mode: 'summary' });
        await screenshot(`attention-summary-${theme.slug}`);
        if (theme.slug === 'high-contrast') await screenshot('readme-attention-summary', { clip: 'sidebar' });
      }
      await setTheme(THEMES[0]);
      await vscode.commands.executeCommand('ranklens.dataset.focus');
      for (const host of [outcome.inspector.host, explorer] as WebviewHost<Protocol>[])
        assert.deepEqual(host.cspViolations, [], 'Content-Security-Policy violations');
      const timings = explorer.timings.map((t) => `${t.what} ${t.ms.toFixed(1)} ms`);
      console.log(
        `attention explorer draw times (n=${n}, ${L}x${model.info.numHeads}): ${timings.join('; ')}`,
      );
    },
  },
  {
    name: 'attention explorer at BERT-base size (12 layers x 12 heads, 256 tokens): draw times measured in the browser',
    run: async () => {
      const rl = await api();
      if (!rl.dataset()?.collection) await rl.openDataset({ folder: rl.sampleFolder });
      const bundled = (await rl.model()).dir;
      // bert-base's attention shape (12 x 12 heads, 256 positions) with a narrow hidden size: the explorer's
      // cost depends only on the attention tensor, and the forward pass stays cheap on a shared machine.
      const dir = tempDir('bert-base-attention');
      writeRandomCheckpoint(dir, {
        layers: 12,
        heads: 12,
        hidden: 96,
        intermediate: 384,
        vocab: 30522,
        maxPositions: 512,
        numLabels: 1,
        // Weights large enough for peaked attention, as trained models have (near-uniform rows would leave
        // the head view almost no lines to draw and flatter its timing).
        range: 0.4,
      });
      for (const file of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'])
        copyFileSync(path.join(bundled, file), path.join(dir, file));
      try {
        const model = await rl.selectModel(dir);
        assert.ok(model, 'the BERT-base-shaped checkpoint loads');
        const d = rl.dataset();
        const pids = [...(d?.runs[0]?.rankings.values() ?? [])][0]?.slice(0, 12).map((c) => c.pid) ?? [];
        const texts = (await d?.collection?.getMany(pids)) ?? [];
        const passage = texts.map((t) => t?.text ?? '').join(' ') || 'word '.repeat(400);
        const outcome = await rl.inspectPair({
          query: 'what is the attention pattern of bert base',
          passage,
        });
        assert.ok(outcome);
        const n = outcome.session.encoded.tokens.length;
        assert.equal(n, 256, 'the pair fills the 256 positions');
        const explorer = await explorerHost(rl);
        await withTimeout(explorer.request('showMode', { mode: 'model' }), 60_000, 'model view');
        const modelMs: number[] = [];
        for (let k = 0; k < 3; k++) {
          const r = await explorer.request('showMode', { mode: 'model', layer: k, head: k });
          assert.equal(r.thumbnails, 144);
          modelMs.push(r.ms);
        }
        const headMs: number[] = [];
        const heatMs: number[] = [];
        for (const [layer, head] of [
          [0, 0],
          [0, 1],
          [5, 5],
          [11, 11],
          [11, 0],
          [6, 3],
        ]) {
          const r = await explorer.request('showMode', { mode: 'head', layer, head });
          assert.equal(r.tokens, 2 * n);
          headMs.push(r.ms);
        }
        for (const [layer, head] of [
          [0, 0],
          [5, 5],
          [11, 11],
        ]) {
          const r = await explorer.request('showMode', { mode: 'head', layer, head, lineMode: 'heatmap' });
          heatMs.push(r.ms);
        }
        await explorer.request('showMode', { mode: 'head', layer: 5, head: 5, lineMode: 'lines' });
        await screenshot('attention-head-bert-base-size', { sidebarWidth: 480 });
        const summary = await explorer.request('showMode', { mode: 'summary' });
        console.log(
          `BERT-base-size attention explorer (n=${n}, 12x12, measured in Chromium): model view ${modelMs.map((m) => m.toFixed(0)).join('/')} ms (median ${median(modelMs).toFixed(0)}), head/layer switch (lines) ${headMs.map((m) => m.toFixed(0)).join('/')} ms (median ${median(headMs).toFixed(0)}), summary ${summary.ms.toFixed(0)} ms${heatMs.length ? `, heatmap ${median(heatMs).toFixed(0)} ms` : ''}`,
        );
        assert.deepEqual(explorer.cspViolations, []);
      } finally {
        await rl.selectModel(bundled);
      }
    },
  },
];
