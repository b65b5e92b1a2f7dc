// Runs inside a real VS Code extension host (code-server here, or VS Code through @vscode/test-electron).
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Ranker, loadPairEncoder } from '../../src/core/runtime';
import type { RankLensApi } from '../../src/extension/extension';
import { runTests, withTimeout, type IntegrationTest } from './harness';
import { analysisTests } from './analysisTests';
import { drillDownTests } from './drillDownTests';
import { inspectorTests } from './inspectorTests';
import { webviewTests } from './webviewTests';
import { editorTests } from './editorTests';
import { keyboardTests } from './keyboardTests';
import { BUNDLED_MODEL_FOLDER } from '../../src/core/model/bundled';
import { EXTENSION_ID, api } from './extensionApi';

function sharedData(extensionPath: string, ...parts: string[]): string {
  const base = process.env.RANKLENS_SHARED_DATA ?? path.resolve(extensionPath, '..', 'shared', 'data');
  const file = path.join(base, ...parts);
  assert.ok(existsSync(file), `test data missing: ${file}`);
  return file;
}

function extensionPath(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

/** A scratch dataset folder built from the real DL19 files (copies: tests never touch the originals). */
function dl19Folder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'ranklens-dl19-'));
  const from = (f: string) => sharedData(extensionPath(), 'msmarco', 'dl19', f);
  copyFileSync(from('collection.dl19-relevant.tsv'), path.join(folder, 'collection.tsv'));
  copyFileSync(from('queries.dl19.tsv'), path.join(folder, 'queries.dl19.tsv'));
  copyFileSync(from('qrels.dl19-passage.txt'), path.join(folder, 'qrels.dl19.txt'));
  return folder;
}

/** The Dataset view's items, as the user sees them, for the DL19 folder of dl19Folder(). */
async function assertDatasetViewShows(rl: RankLensApi, folder: string): Promise<void> {
  const tree = rl.datasetTree;
  const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);
  const roots = await tree.getChildren();
  const rootLabels = roots.map((n) => label(tree.getTreeItem(n)));
  const queriesRoot = roots[rootLabels.findIndex((l) => /^Queries \(/.test(l ?? ''))];
  assert.ok(queriesRoot, `no Queries item among ${rootLabels.join(', ')}`);
  assert.equal(label(tree.getTreeItem(queriesRoot)), 'Queries (43)');
  const queries = await tree.getChildren(queriesRoot);
  assert.equal(queries.length, 43);
  const queryItems = queries.map((n) => tree.getTreeItem(n));
  const known = queries[queryItems.findIndex((item) => label(item) === '1037798')];
  assert.ok(known, 'query 1037798 is listed');
  assert.equal(tree.getTreeItem(known).description, 'who is robert gray');
  // Its judged passages: every qrels line of the query, text from the collection.
  const qrels = readFileSync(path.join(folder, 'qrels.dl19.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.split(/\s+/)[0] === '1037798');
  const [judgedNode] = await tree.getChildren(known);
  assert.equal(label(tree.getTreeItem(judgedNode)), `Judged (${qrels.length})`);
  const judged = await tree.getChildren(judgedNode);
  assert.equal(judged.length, qrels.length);
  const first = tree.getTreeItem(judged[0]);
  const pid = /^(\d+)/.exec(label(first) ?? '')?.[1];
  assert.ok(pid, `a pid in ${label(first)}`);
  const line = readFileSync(path.join(folder, 'collection.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${pid}\t`));
  assert.equal(first.description, line?.slice(pid.length + 1));
}

const tests: IntegrationTest[] = [
  {
    name: 'the extension activates and contributes its commands',
    run: async () => {
      await api();
      const commands = await vscode.commands.getCommands(true);
      for (const id of [
        'ranklens.openDataset',
        'ranklens.evaluateRun',
        'ranklens.openSampleDataset',
        'ranklens.selectModel',
      ]) {
        assert.ok(commands.includes(id), `missing command ${id}`);
      }
    },
  },
  {
    name: 'onnxruntime-node loads and runs inside the extension host',
    run: async () => {
      // Resolved from the extension's own node_modules: the native binding the bundled ranker loads too.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require(
        require.resolve('onnxruntime-node', { paths: [extensionPath()] }),
      ) as typeof import('onnxruntime-node');
      const backends = ort.listSupportedBackends().map((b) => b.name);
      assert.ok(backends.includes('cpu'), `backends: ${backends.join(', ')}`);
      // A real session on a graph of our own builder: [1, 2, 3] · w, then softmax, worked out by hand.
      const g = new GraphBuilder('smoke');
      const x = g.input('x', 'float32', [1, 3]);
      const w = g.constFloat([1, 0, 0, 1, 1, 1], [3, 2], 'w');
      g.output(g.softmax(g.matMul(x, w), -1), 'p', 'float32', [1, 2]);
      const session = await ort.InferenceSession.create(g.encode('integration').toBytes());
      try {
        const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
        const p = Array.from(out.p.data as Float32Array);
        // logits [1 + 3, 2 + 3] = [4, 5]: softmax [1 / (1 + e), e / (1 + e)]
        assert.ok(Math.abs(p[0] - 1 / (1 + Math.E)) < 1e-6, `p = ${p.join(', ')}`);
        assert.ok(Math.abs(p[1] - Math.E / (1 + Math.E)) < 1e-6, `p = ${p.join(', ')}`);
      } finally {
        await session.release();
      }
    },
  },
  {
    name: 'Open Dataset indexes a real collection, fills the Dataset view, and reuses the index',
    run: async () => {
      const rl = await api();
      const folder = dl19Folder();
      const dataset = await vscode.commands.executeCommand<Awaited<ReturnType<RankLensApi['openDataset']>>>(
        'ranklens.openDataset',
        { folder },
      );
      assert.ok(dataset, 'no dataset returned');
      assert.equal(dataset.collection?.size, 4103);
      assert.equal(dataset.collection?.fromCache, false);
      assert.equal(dataset.queries[0]?.texts.size, 43);
      assert.equal(dataset.errors.length, 0);
      const passage = await dataset.collection?.get('0');
      assert.match(passage?.text ?? '', /Manhattan Project/);
      assert.equal(rl.dataset(), dataset);
      const again = await rl.openDataset({ folder });
      assert.equal(again?.collection?.fromCache, true, 'second open should use the persisted index');
      await vscode.commands.executeCommand('ranklens.dataset.focus');
      await assertDatasetViewShows(rl, folder);
    },
  },
  {
    name: 'Evaluate Run File scores the pygaggle BM25 run at the published MRR@10 0.159 and saves JSON',
    run: async () => {
      const run = sharedData(extensionPath(), 'msmarco', 'pygaggle_dev105', 'run.dev.small.tsv');
      const qrels = sharedData(extensionPath(), 'msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv');
      const outcome = await vscode.commands.executeCommand<Awaited<ReturnType<RankLensApi['evaluateRun']>>>(
        'ranklens.evaluateRun',
        { run, qrels },
      );
      assert.ok(outcome, 'no evaluation returned');
      assert.equal(outcome.result.mrr.toFixed(3), '0.159');
      assert.equal(outcome.result.queriesEvaluated, 105);
      const saved = JSON.parse(readFileSync(outcome.savedTo, 'utf8')) as { mrr: number };
      assert.equal(saved.mrr, outcome.result.mrr);
      const rendered = await withTimeout(outcome.panel.whenRendered(), 60_000, 'evaluation webview render');
      assert.ok(rendered.charts >= 1, `charts drawn: ${rendered.charts}`);
      assert.ok(rendered.rows >= 100, `table rows: ${rendered.rows}`);
    },
  },
  {
    name: 'the sample workspace opens with its DL19 / dev600-train / dev600-heldout splits, and its evaluation labels them',
    run: async () => {
      const rl = await api();
      const dataset = await rl.openDataset({ folder: rl.sampleFolder });
      assert.ok(dataset, 'the sample did not open');
      assert.equal(dataset.errors.length, 0, dataset.errors.map((e) => e.message).join('; '));
      assert.equal(dataset.collection?.size, 28795);
      assert.deepEqual(
        dataset.queries.map((q) => [path.basename(q.file), q.texts.size]),
        [
          ['queries.dev600-heldout.tsv', 200],
          ['queries.dev600-train.tsv', 400],
          ['queries.dl19.tsv', 43],
        ],
      );
      const sample = (name: string) => path.join(rl.sampleFolder, name);
      const heldOut = await rl.evaluateRun({
        run: sample('run.dev600-heldout.bm25.tsv'),
        qrels: sample('qrels.dev600-heldout.txt'),
      });
      assert.ok(heldOut, 'no evaluation returned');
      assert.equal(heldOut.result.mrr.toFixed(4), '0.3721');
      assert.deepEqual([...new Set(Object.values(heldOut.splits))], ['dev600-heldout']);
      assert.equal(Object.keys(heldOut.splits).length, 200);
      // Before the next panel opens over it: a hidden webview does not draw.
      const rendered = await withTimeout(heldOut.panel.whenRendered(), 60_000, 'evaluation webview render');
      assert.ok(rendered.rows >= 200, `table rows: ${rendered.rows}`);
      const dl19 = await rl.evaluateRun({
        run: sample('run.dl19.bm25.trec'),
        qrels: sample('qrels.dl19.txt'),
        minRelevance: 2,
      });
      assert.equal(dl19?.result.ndcg.toFixed(4), '0.5058');
      assert.deepEqual([...new Set(Object.values(dl19?.splits ?? {}))], ['DL19']);
    },
  },
  {
    name: 'a malformed file is reported with file and line, and the extension keeps working',
    run: async () => {
      const rl = await api();
      const folder = dl19Folder();
      const broken = path.join(folder, 'queries.broken.tsv');
      writeFileSync(broken, '1\tfirst query\n2 second query without a tab\n');
      const before = readFileSync(broken, 'utf8');
      const dataset = await rl.openDataset({ folder });
      assert.ok(dataset);
      const error = dataset.errors.find((e) => e.file === broken);
      assert.ok(error, `no error for ${broken}: ${dataset.errors.map((e) => e.message).join('; ')}`);
      assert.equal(error.line, 2);
      assert.match(error.message, /qid<TAB>query text/);
      assert.equal(readFileSync(broken, 'utf8'), before, 'the user file must not be modified');
      assert.equal(dataset.collection?.size, 4103, 'the other files still load');
      const missing = await rl.openDataset({ folder: path.join(folder, 'does-not-exist') });
      assert.equal(missing, undefined);
      const stillWorks = await rl.evaluateRun({
        run: sharedData(extensionPath(), 'msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'),
        qrels: sharedData(extensionPath(), 'msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv'),
      });
      assert.ok(stillWorks);
    },
  },
  {
    name: 'Select Model loads the bundled checkpoint in a worker; Score Pair scores text and dataset pairs',
    run: async () => {
      const rl = await api();
      const dir = path.join(extensionPath(), BUNDLED_MODEL_FOLDER);
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
        num_hidden_layers: number;
        num_attention_heads: number;
      };
      const model = await vscode.commands.executeCommand<Awaited<ReturnType<RankLensApi['selectModel']>>>(
        'ranklens.selectModel',
        dir,
      );
      assert.ok(model, 'no model loaded');
      assert.equal(model.info.numLayers, config.num_hidden_layers);
      assert.equal(model.info.numHeads, config.num_attention_heads);
      const scored = await vscode.commands.executeCommand<Awaited<ReturnType<RankLensApi['scorePair']>>>(
        'ranklens.scorePair',
        {
          query: 'what was the manhattan project',
          passage:
            'The Manhattan Project was the research effort of World War II that produced the first nuclear weapons.',
        },
      );
      assert.ok(scored, 'no score returned');
      await rl.openDataset({ folder: rl.sampleFolder });
      const dataset = rl.dataset();
      const [qid, grades] = [...(dataset?.qrels[0]?.judgements ?? new Map<string, Map<string, number>>())][0];
      const pid = [...grades.keys()].find((p) => dataset?.collection?.has(p));
      assert.ok(pid, 'a judged pid with text in the sample collection');
      const byIds = await rl.scorePair({ qid, pid });
      assert.ok(byIds, 'no score returned for a dataset pair');
      assert.equal(byIds.qid, qid);
      assert.equal(byIds.passage, (await dataset?.collection?.get(pid))?.text);
      // The extension's worker must give what the core Ranker gives in this process for the same text.
      const reference = await Ranker.load(dir, { threads: 1 });
      try {
        const encode = loadPairEncoder(dir);
        for (const outcome of [scored, byIds]) {
          const [expected] = await reference.score([encode(outcome.query, outcome.passage)]);
          const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5;
          assert.ok(close(outcome.score, expected.score), `score ${outcome.score} vs ${expected.score}`);
          assert.equal(outcome.logits.length, expected.logits.length);
          outcome.logits.forEach((l, i) => assert.ok(close(l, expected.logits[i]), `logit ${i}: ${l}`));
        }
      } finally {
        await reference.dispose();
      }
      // A folder that is not a checkpoint is refused with a message, and the loaded model stays.
      const empty = mkdtempSync(path.join(tmpdir(), 'ranklens-not-a-model-'));
      assert.equal(await rl.selectModel(empty), undefined);
      assert.equal((await rl.model()).dir, dir);
      const again = await rl.scorePair({ query: scored.query, passage: scored.passage });
      assert.ok(
        again && Math.abs(again.score - scored.score) <= 1e-6,
        `the model that stayed scores as before: ${again?.score} vs ${scored.score}`,
      );
    },
  },
  {
    name: 'Integrated Gradients for Pair attributes every layer and both baselines, saves JSON and draws its panel',
    run: async () => {
      const rl = await api();
      const dir = path.join(extensionPath(), BUNDLED_MODEL_FOLDER);
      if ((await rl.model()).dir !== dir) await rl.selectModel(dir);
      const layerCount = (await rl.model()).info.numLayers + 1;
      const query = 'what was the manhattan project';
      const passage =
        'The Manhattan Project was the research effort of World War II that produced the first nuclear weapons.';
      const outcome = await vscode.commands.executeCommand<Awaited<ReturnType<RankLensApi['attributePair']>>>(
        'ranklens.attributePair',
        { query, passage },
      );
      assert.ok(outcome, 'no attribution returned');
      const { result, savedTo, panel } = outcome;
      assert.equal(result.layers.length, layerCount * 2);
      for (let layer = 0; layer < layerCount; layer++) {
        for (const baseline of ['empty-query', 'empty-document'] as const) {
          const entry = result.layers.find((e) => e.layer === layer && e.baseline === baseline);
          assert.ok(entry, `no result for layer ${layer} ${baseline}`);
          assert.equal(entry.attributions.length, result.tokens.length);
          assert.ok(entry.completenessError < 0.05, `layer ${layer} ${baseline}: ${entry.completenessError}`);
          const sum = entry.attributions.reduce((a, b) => a + b, 0);
          const delta = entry.scoreInput - entry.scoreBaseline;
          assert.ok(Math.abs(sum - delta) <= 0.05 * Math.abs(delta) + 1e-6, `Σ ${sum} vs ${delta}`);
        }
      }
      // Offsets point into the original texts.
      const words = result.tokens.filter((t) => t.segment === 1 && t.start >= 0);
      assert.equal(passage.slice(words[0].start, words[0].end).toLowerCase(), 'the');
      const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      assert.ok(workspace, 'the e2e driver opens a workspace folder');
      assert.equal(path.dirname(savedTo), path.join(workspace, '.ranklens', 'attributions'));
      const saved = JSON.parse(readFileSync(savedTo, 'utf8')) as {
        query: string;
        layers: { attributions: number[] }[];
      };
      assert.equal(saved.query, query);
      assert.deepEqual(saved.layers[3].attributions, result.layers[3].attributions);
      const rendered = await withTimeout(panel.whenRendered(), 60_000, 'attribution webview render');
      assert.equal(rendered.layers, layerCount);
      assert.equal(rendered.baselines, 2);
      const textTokens = result.tokens.filter((t) => t.start >= 0).length;
      assert.equal(rendered.coloredSpans, textTokens);
      assert.equal(rendered.heatmapCells, layerCount * result.tokens.length);
      const png = await withTimeout(panel.savePng(), 30_000, 'Save PNG');
      assert.equal(readFileSync(png).subarray(1, 4).toString('latin1'), 'PNG');
      // Bad options are refused with a message, not run.
      assert.equal(await rl.attributePair({ query, passage, layers: [layerCount + 3] }), undefined);
      panel.panel.reveal();
    },
  },
  {
    name: 'every command the extension contributes is registered (none is left to a "not yet" stub)',
    run: async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
        contributes: { commands: { command: string }[] };
      };
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
      assert.deepEqual(missing, []);
    },
  },
];

export async function run(): Promise<void> {
  // RANKLENS_TEST_FILTER=<substring of a test name>[|<another>…] runs only those tests (while developing).
  const only = process.env.RANKLENS_TEST_FILTER?.split('|');
  const all = [
    ...tests,
    ...webviewTests,
    ...inspectorTests,
    ...keyboardTests,
    ...editorTests,
    ...analysisTests,
    ...drillDownTests,
  ];
  const { failed } = await runTests(
    only ? all.filter((t) => only.some((part) => t.name.includes(part))) : all,
  );
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}
