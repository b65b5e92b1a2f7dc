import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BASELINES, type AttributionResult, type Baseline } from '../../core/attribution';
import { CancelledError } from '../../core/progress';
import { AttributionPanel } from '../webviews/attributionPanel';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';
import { pickPair, resolvePairArgs, type ScorePairArgs } from './modelCommands';

export type AttributePairArgs = ScorePairArgs & {
  /** Layers to attribute at (0 = embedding output, L = after the last layer); default all. */
  readonly layers?: readonly number[] | 'all';
  /** Default both. */
  readonly baselines?: readonly Baseline[];
};

export interface AttributePairOutcome {
  readonly result: AttributionResult;
  readonly savedTo: string;
  readonly panel: AttributionPanel;
}

/**
 * "RankLens: Integrated Gradients for Pair": layer-wise IG in the model's worker thread with a cancellable
 * progress notification, saved as JSON under <workspace>/.ranklens/attributions (never beside the user's
 * files) and shown in a panel.
 */
export async function attributePairCommand(
  models: ModelController,
  datasets: DatasetController,
  extensionUri: vscode.Uri,
  resultsDir: string,
  log: vscode.OutputChannel,
  args?: AttributePairArgs,
): Promise<AttributePairOutcome | undefined> {
  const pair = args ? await resolvePairArgs(datasets.dataset, args) : await pickPair(datasets.dataset);
  if (!pair) return undefined;
  const model = await models.model();
  const L = model.info.numLayers;
  const layers = args?.layers ?? 'all';
  if (layers !== 'all') {
    const bad = layers.find((k) => !Number.isInteger(k) || k < 0 || k > L);
    if (bad !== undefined || layers.length === 0)
      throw new Error(
        `layers must be 'all' or integers in 0-${L} (0 = embedding output, ${L} = after the last layer), got ${JSON.stringify(layers)}`,
      );
  }
  const baselines = args?.baselines ?? BASELINES;
  const unknown = baselines.find((b) => !BASELINES.includes(b));
  if (unknown !== undefined || baselines.length === 0)
    throw new Error(`baselines must be some of ${BASELINES.join(', ')}, got ${JSON.stringify(baselines)}`);

  const encoded = model.encode(pair.query, pair.passage);
  const label = pair.qid ? `qid ${pair.qid} / pid ${pair.pid}` : `"${pair.query.slice(0, 40)}"`;
  const started = Date.now();
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `RankLens: Integrated Gradients for ${label}`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new CancelledError('Integrated Gradients')));
      const total = (layers === 'all' ? L + 1 : layers.length) * baselines.length;
      progress.report({ message: `0/${total} integrals` });
      return model.ranker.attribute(encoded, {
        layers,
        baselines,
        signal: abort.signal,
        onProgress: (done) =>
          progress.report({ increment: 100 / total, message: `${done}/${total} integrals` }),
      });
    },
  );
  const missed = result.layers.filter((e) => !e.converged);
  log.appendLine(
    `attribute ${label}: ${result.layers.length} integrals in ${Date.now() - started} ms, score ${result.score.toFixed(6)}, worst completeness error ${(100 * Math.max(...result.layers.map((e) => e.completenessError))).toFixed(3)}%`,
  );
  if (missed.length > 0) {
    const list = missed.map(
      (e) => `layer ${e.layer} ${e.baseline} (${(100 * e.completenessError).toFixed(2)}%)`,
    );
    const message = `completeness tolerance ${result.tolerance} not reached for ${list.join(', ')}`;
    log.appendLine(`warning: ${message}`);
    void vscode.window.showWarningMessage(`RankLens: ${message}.`);
  }

  await mkdir(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const stem = pair.qid ? `q${safe(pair.qid)}-p${safe(pair.pid ?? '')}` : 'pair';
  const savedTo = path.join(resultsDir, `${stem}.${stamp}.json`);
  const truncated = encoded.queryTruncated || encoded.passageTruncated;
  const saved = {
    model: model.dir,
    query: pair.query,
    passage: pair.passage,
    ...(pair.qid ? { qid: pair.qid, pid: pair.pid } : {}),
    truncated,
    ...result,
  };
  await writeFile(savedTo, JSON.stringify(saved, null, 2) + '\n');
  const panel = AttributionPanel.show(
    extensionUri,
    {
      result,
      query: pair.query,
      passage: pair.passage,
      qid: pair.qid,
      pid: pair.pid,
      model: path.basename(model.dir),
      numLayers: L,
      savedTo,
    },
    log,
  );
  return { result, savedTo, panel };
}

/** Ids become part of a file name: keep them to characters every file system accepts. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
}
