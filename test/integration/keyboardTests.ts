// Keyboard access (issue 11's quality bar) and the explorer following the Dataset view: the pair inspector and
// the attention explorer driven with keys only (Tab to a control, then keys), in the real browser, through
// the e2e driver; assertions on what the webviews report back.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalyzeOutcome, DatasetSplit } from '../../src/extension/commands/analyze';
import type { InspectPairOutcome } from '../../src/extension/commands/inspectPair';
import { withTimeout, type IntegrationTest } from './harness';
import { explorerHost, inspectorWhere, pairFromSample } from './inspectorTests';
import { canPressKeys, focusVisible, pressKeys, type KeyAnswer } from './keyboard';
import { screenshot } from './screenshots';
import { renderedWhere } from './webviewTests';
import { BUNDLED_MODEL_FOLDER } from '../../src/core/model/bundled';
import { EXTENSION_ID, api } from './extensionApi';

function assertFocusDrawn(answer: KeyAnswer, what: string): void {
  assert.ok(
    focusVisible(answer.focus),
    `${what}: focus not drawn in --vscode-focusBorder: ${JSON.stringify(answer.focus)}`,
  );
}

/** Gives the inspector panel keyboard focus, as clicking its tab or Ctrl+1 would. */
async function focusInspector(outcome: InspectPairOutcome): Promise<void> {
  outcome.inspector.panel.reveal(vscode.ViewColumn.One, false);
  await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
  await new Promise((resolve) => setTimeout(resolve, 300));
}

export const keyboardTests: IntegrationTest[] = [
  {
    name: 'keyboard only: inspector slider (moves the editor layer), baseline, token pick, mask apply, what-if table, undo; explorer thumbnails to a head, direction filter, token focus',
    run: async () => {
      if (!canPressKeys()) {
        console.log('  (no e2e driver to press keys: keyboard test not run)');
        return;
      }
      const rl = await api();
      if (!rl.dataset()?.collection) await rl.openDataset({ folder: rl.sampleFolder });
      const L = (await rl.model()).info.numLayers;
      const outcome = await rl.inspectPair(pairFromSample(rl));
      assert.ok(outcome);
      const ready = await inspectorWhere(
        outcome,
        (s) => s.attributionStatus === 'done' && /^\d+ of \d+$/.test(s.rankText) && s.whatIfs.length === 0,
        'inspector ready',
      );
      await focusInspector(outcome);

      // The layer slider: Tab to it, one step left; the editor's decorations layer follows.
      const slider = await pressKeys('inspector-slider', { tabTo: '#layer', keys: ['ArrowLeft'] });
      assertFocusDrawn(slider, 'layer slider');
      const moved = await inspectorWhere(outcome, (s) => s.layer === ready.layer - 1, 'slider moved by key');
      assert.equal(rl.editor.active.current.view.layer, moved.layer, "the editor's layer follows the slider");
      // The baseline switch: open, next option, Enter.
      await pressKeys('inspector-baseline', {
        tabTo: '#baseline',
        keys: ['ArrowDown', 'ArrowDown', 'Enter'],
      });
      const switched = await inspectorWhere(outcome, (s) => s.baseline === 'empty-query', 'baseline by key');
      assert.equal(rl.editor.active.current.view.baseline, 'empty-query');
      assert.equal(switched.layer, moved.layer);
      // "Choose Attribution Layer…" moves the slider back.
      await vscode.commands.executeCommand('ranklens.chooseAttributionLayer', {
        layer: 1,
        baseline: 'empty-document',
      });
      await inspectorWhere(
        outcome,
        (s) => s.layer === 1 && s.baseline === 'empty-document',
        'the slider follows Choose Attribution Layer',
      );
      await focusInspector(outcome);

      // Pick the passage's second word by keyboard (the text is one Tab stop, arrows move), then Tab to
      // Apply: a token mask from all tokens to it.
      const token = await pressKeys('inspector-token', {
        tabTo: '#passage .tok',
        keys: ['ArrowRight', 'Enter'],
      });
      assertFocusDrawn(token, 'passage token');
      const picked = await inspectorWhere(outcome, (s) => s.picked === 1, 'token picked by key');
      assert.equal(picked.maskTo, 'picked', 'picking a token makes it the mask target');
      // The mask kind: open the select, next option (attention mask: 0 after softmax), Enter.
      await pressKeys('inspector-mask-kind', { tabTo: '#kind', keys: ['ArrowDown', 'ArrowDown', 'Enter'] });
      await inspectorWhere(outcome, (s) => s.maskKind === 'attention', 'mask kind by keys');
      await pressKeys('inspector-apply', { tabTo: '#apply', keys: ['Enter'], maxTabs: 30 });
      const applied = await inspectorWhere(outcome, (s) => s.whatIfs.length === 1, 'what-if by key', 120_000);
      const original = Number(ready.scoreText);
      assert.notEqual(applied.whatIfs[0].score, original, 'masking the picked token changed the score');
      assert.match(applied.whatIfs[0].label, /^attention mask .*picked/);
      assert.ok(applied.whatIfs[0].rank !== undefined && applied.whatIfs[0].rank >= 1, 'a new rank is shown');
      await pressKeys('inspector-commas', { tabTo: '#apply-commas', keys: ['Enter'] });
      const two = await inspectorWhere(
        outcome,
        (s) => s.whatIfs.length === 2 && s.mapShown === 2,
        'second what-if',
        120_000,
      );
      assert.equal(two.whatIfs[1].label, 'periods → commas');
      // The table: Tab to the first what-if's row, Enter: its attention map beside the original.
      const row = await pressKeys('inspector-row', {
        tabTo: '#what-ifs tbody tr:nth-child(2)',
        keys: ['Enter'],
      });
      assertFocusDrawn(row, 'what-if row');
      await inspectorWhere(outcome, (s) => s.mapShown === 1, 'what-if 1 chosen by key');
      await screenshot('keyboard-inspector');
      await pressKeys('inspector-undo', { tabTo: '#undo', keys: ['Enter'] });
      await inspectorWhere(outcome, (s) => s.whatIfs.length === 1, 'undo by key');

      // The explorer: thumbnails, arrows, Enter opens the head; the direction filter; a token's readout on focus.
      const explorer = await explorerHost(rl);
      await withTimeout(
        explorer.request('showMode', { mode: 'model', layer: 0, head: 0 }),
        60_000,
        'model view',
      );
      await vscode.commands.executeCommand('ranklens.attention.focus');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const thumbs = await pressKeys('explorer-thumbs', {
        tabTo: '#thumbs',
        keys: ['ArrowDown', 'ArrowRight', 'Enter'],
      });
      assertFocusDrawn(thumbs, 'model view');
      const head = await renderedWhere(
        explorer,
        (r) => r.mode === 'head' && r.layer === Math.min(1, L - 1) && r.head === 1,
        'head opened from the model view by keys',
      );
      assert.ok(head.tokens > 0);
      await pressKeys('explorer-direction', {
        tabTo: '#direction',
        keys: ['ArrowDown', 'ArrowDown', 'Enter'],
      });
      const filtered = await renderedWhere(
        explorer,
        (r) => r.direction === 'query-to-doc',
        'direction by keys',
      );
      assert.ok(filtered.tokens < head.tokens, 'query → doc draws fewer tokens than all');
      const focused = await pressKeys('explorer-token', { tabTo: '.col.left .tok' });
      assertFocusDrawn(focused, 'head view token');
      const readout = await renderedWhere(
        explorer,
        (r) => r.focusedToken?.side === 'left',
        'token readout on focus',
      );
      assert.match(readout.readout, /attends most to .+ \d+\.\d%/);
      // ↓: the next token of the column, its readout.
      await pressKeys('explorer-token-down', { tabTo: '.col.left .tok', keys: ['ArrowDown'] });
      const next = await renderedWhere(
        explorer,
        (r) => r.focusedToken?.side === 'left' && r.focusedToken.position !== readout.focusedToken?.position,
        'next token by arrow key',
      );
      assert.notEqual(next.readout, readout.readout);
      await screenshot('keyboard-explorer', { sidebarWidth: 480 });
      await explorer.request('showMode', { mode: 'head', layer: 0, head: 0, direction: 'all' });
    },
  },
  {
    name: "attention explorer follows the Dataset view's selection and draws the attention analysis' dataset mean",
    run: async () => {
      const rl = await api();
      if (!rl.dataset()?.collection) await rl.openDataset({ folder: rl.sampleFolder });
      const bundled = path.join(
        vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath,
        BUNDLED_MODEL_FOLDER,
      );
      if ((await rl.model()).dir !== bundled) await rl.selectModel(bundled);
      if (!canPressKeys()) {
        console.log('  (no e2e driver to press keys in the Dataset view: selection test not run)');
        return;
      }
      // Two passage rows of one query, selected in the Dataset view with the keyboard.
      const tree = rl.datasetTree;
      const label = (item: vscode.TreeItem) =>
        (typeof item.label === 'string' ? item.label : item.label?.label) ?? '';
      const roots = await tree.getChildren();
      const queriesRoot = roots.find((n) => /^Queries \(/.test(label(tree.getTreeItem(n))));
      assert.ok(queriesRoot);
      const splits = await tree.getChildren(queriesRoot);
      const dl19Node = splits.find((n) => /^DL19 \(/.test(label(tree.getTreeItem(n))));
      assert.ok(dl19Node, `no DL19 group among ${splits.map((n) => label(tree.getTreeItem(n))).join(', ')}`);
      const [query] = await tree.getChildren(dl19Node);
      const qid = label(tree.getTreeItem(query));
      const [judged] = await tree.getChildren(query);
      const passages = (await tree.getChildren(judged)).slice(0, 2);
      const pids = passages.map((n) => /^(\d+)/.exec(label(tree.getTreeItem(n)))?.[1] ?? '');
      const treePath = ['Queries (', 'DL19 (', qid, label(tree.getTreeItem(judged))];
      const explorer = await explorerHost(rl);
      for (const pid of pids) {
        await vscode.commands.executeCommand('ranklens.dataset.focus');
        await vscode.commands.executeCommand('workbench.action.focusSideBar');
        await pressKeys(`dataset-select-${pid}`, { treeRows: [...treePath, pid] });
        const shown = await renderedWhere(
          explorer,
          (r) => r.label.includes(`pid ${pid}`),
          `the explorer shows pid ${pid}`,
          { ms: 60_000 },
        );
        const active = rl.activePair();
        assert.equal(active?.session.pair.pid, pid);
        const n = active.session.encoded.tokens.length;
        const head = await explorer.request('showMode', {
          mode: 'head',
          layer: 0,
          head: 0,
          direction: 'all',
        });
        assert.equal(head.tokens, 2 * n, `pid ${pid}: both token columns of its ${n} tokens`);
        assert.ok(shown.label.includes(`qid ${qid}`));
        assert.equal(
          shown.datasetMean,
          undefined,
          'no attention analysis has been run in this workspace yet',
        );
        // Enter also opened the passage (its header needs a score): wait for its editor, which takes the
        // keyboard focus, before walking the tree again.
        for (let i = 0; i < 300; i++) {
          if (vscode.window.activeTextEditor?.document.uri.path === `/${pid}.rlpassage`) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // Then the attention analysis of a few DL19 queries, as the palette runs it: once its result.json is
      // written under .ranklens/analyses, the summary draws its dataset mean beside the pair's shares.
      const folder = rl.sampleFolder;
      const dl19: DatasetSplit = {
        name: 'dl19',
        queries: path.join(folder, 'queries.dl19.tsv'),
        qrels: path.join(folder, 'qrels.dl19.txt'),
        run: path.join(folder, 'run.dl19.bm25.tsv'),
      };
      const analysis = await withTimeout(
        Promise.resolve(
          vscode.commands.executeCommand<AnalyzeOutcome | undefined>('ranklens.analyzeAttention', {
            split: dl19,
            sample: 2,
            depth: 20,
            settings: {},
            where: 'here',
          }),
        ),
        240_000,
        'attention analysis',
      );
      assert.ok(analysis, 'the attention analysis ran');
      const summary = await renderedWhere(
        explorer,
        (r) => r.datasetMean !== undefined,
        'the dataset mean in the summary',
        { ms: 30_000 },
      );
      assert.equal(
        summary.datasetMean,
        path.join(
          path.relative(vscode.workspace.workspaceFolders![0].uri.fsPath, analysis.savedTo),
          'result.json',
        ),
        'the summary draws the dataset mean of the analysis just run',
      );
      await explorer.request('showMode', { mode: 'summary' });
      await screenshot('attention-summary-dataset-mean', { sidebarWidth: 480 });
    },
  },
];
