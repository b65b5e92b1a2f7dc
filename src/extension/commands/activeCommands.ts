import * as path from 'node:path';
import * as vscode from 'vscode';
import { BASELINES, type Baseline } from '../../core/attribution';
import type { ActiveSelectionState, ActiveQuery } from '../activeSelection';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';

/**
 * "RankLens: Set Active Query": the query that hovers on collection lines score passages against, from
 * the arguments ({qid} of the open dataset, or {text}), or picked from the open dataset's queries (each
 * labelled with its file, so DL19, dev and train queries are told apart).
 */
export async function setActiveQueryCommand(
  datasets: DatasetController,
  active: ActiveSelectionState,
  args?: { readonly qid?: string; readonly text?: string },
): Promise<ActiveQuery | undefined> {
  const dataset = datasets.dataset;
  const textOf = (qid: string) => dataset?.queries.map((q) => q.texts.get(qid)).find((t) => t !== undefined);
  let query: ActiveQuery | undefined;
  if (args?.qid !== undefined) {
    const text = args.text ?? textOf(args.qid);
    if (text === undefined) throw new Error(`qid ${args.qid} has no query text in the open dataset`);
    query = { qid: args.qid, text };
  } else if (args?.text !== undefined) {
    query = { text: args.text };
  } else {
    const items = (dataset?.queries ?? []).flatMap((set) =>
      [...set.texts].map(([qid, text]) => ({
        label: text,
        description: `${qid} · ${path.basename(set.file)}`,
        qid,
      })),
    );
    const typed = '$(edit) Type a query…';
    const picked = await vscode.window.showQuickPick([{ label: typed, description: '', qid: '' }, ...items], {
      title: 'RankLens: active query (hovers on collection lines score against it)',
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (picked.label === typed) {
      const text = await vscode.window.showInputBox({ prompt: 'Query text', ignoreFocusOut: true });
      if (!text) return undefined;
      query = { text };
    } else query = { qid: picked.qid, text: picked.label };
  }
  active.setQuery(query);
  void vscode.window.setStatusBarMessage(
    `RankLens: active query ${query.qid !== undefined ? `${query.qid} ` : ''}"${query.text.slice(0, 60)}"`,
    4000,
  );
  return query;
}

/** "RankLens: Choose Attribution Layer…": the layer (0..L) and baseline decorations and hovers use. */
export async function chooseAttributionLayerCommand(
  models: ModelController,
  active: ActiveSelectionState,
  args?: { readonly layer?: number; readonly baseline?: Baseline },
): Promise<{ layer: number; baseline: Baseline } | undefined> {
  const L = (await models.model()).info.numLayers;
  let { layer, baseline } = { ...active.current.view, ...args };
  if (args?.layer === undefined && args?.baseline === undefined) {
    const pickedLayer = await vscode.window.showQuickPick(
      Array.from({ length: L + 1 }, (_, k) => ({
        label: `Layer ${k}`,
        description:
          k === 0 ? 'embedding output' : k === L ? 'after the last layer (only [CLS] matters)' : '',
        k,
      })),
      { title: 'RankLens: attribution layer' },
    );
    if (!pickedLayer) return undefined;
    const pickedBaseline = await vscode.window.showQuickPick(
      BASELINES.map((b) => ({
        label: b,
        description: b === 'empty-query' ? 'query WordPieces → [PAD]' : 'passage WordPieces → [PAD]',
      })),
      { title: 'RankLens: attribution baseline' },
    );
    if (!pickedBaseline) return undefined;
    layer = pickedLayer.k;
    baseline = pickedBaseline.label;
  }
  if (!Number.isInteger(layer) || layer < 0 || layer > L)
    throw new Error(`layer must be an integer in 0-${L} (0 = embedding output), got ${layer}`);
  active.setView({ layer, baseline });
  return { layer, baseline };
}
