import { CancelledError } from '../../core/progress';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { querySplits, queryText, type Dataset } from '../../core/data';
import { BUNDLED_MODEL_NAME } from '../../core/model/bundled';
import type { ScoreResult } from '../../core/runtime/types';
import type { DatasetController } from '../datasetController';
import { describe, type LoadedModel, type ModelController } from '../modelController';

/** "RankLens: Select Model…": a Hugging Face checkpoint folder (config.json + model.safetensors + vocab). */
export async function selectModelCommand(
  models: ModelController,
  dir?: string,
): Promise<LoadedModel | undefined> {
  let chosen = dir;
  if (!chosen) {
    // The bundled model first, so Enter takes it; browsing is the deliberate choice.
    const bundled = `Bundled ${BUNDLED_MODEL_NAME}`;
    const browse = 'Browse for a checkpoint folder…';
    const pick = await vscode.window.showQuickPick([bundled, browse], {
      placeHolder: `Which cross-encoder should RankLens use? (Enter: the bundled ${BUNDLED_MODEL_NAME})`,
    });
    if (!pick) return undefined;
    if (pick === bundled) chosen = models.configuredDir();
    else {
      const folder = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Use this checkpoint',
        title: 'RankLens: a folder with config.json, model.safetensors and vocab.txt or tokenizer.json',
      });
      chosen = folder?.[0]?.fsPath;
    }
  }
  if (!chosen) return undefined;
  if (!existsSync(chosen) || !statSync(chosen).isDirectory()) {
    throw new Error(
      `${chosen}: expected a checkpoint folder (config.json, model.safetensors, vocab.txt or tokenizer.json)`,
    );
  }
  const model = await models.select(chosen);
  void vscode.window.showInformationMessage(
    `RankLens: using ${path.basename(model.dir)} (${describe(model)}).`,
  );
  return model;
}

export type ScorePairArgs =
  { readonly query: string; readonly passage: string } | { readonly qid: string; readonly pid: string };

export interface ScorePairOutcome extends ScoreResult {
  readonly query: string;
  readonly passage: string;
  readonly qid?: string;
  readonly pid?: string;
  readonly truncated: boolean;
  readonly model: string;
}

/** "RankLens: Score Query/Passage Pair": from the open dataset (qid, pid) or from typed text. */
export async function scorePairCommand(
  models: ModelController,
  datasets: DatasetController,
  log: vscode.OutputChannel,
  args?: ScorePairArgs,
): Promise<ScorePairOutcome | undefined> {
  const pair = args ? await resolvePairArgs(datasets.dataset, args) : await pickPair(datasets.dataset);
  if (!pair) return undefined;
  const { result, model, truncated } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: 'RankLens: scoring the pair',
      cancellable: true,
    },
    (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new CancelledError('scoring the pair')));
      return models.score(pair.query, pair.passage, abort.signal);
    },
  );
  const outcome: ScorePairOutcome = { ...result, ...pair, truncated, model: model.dir };
  const label = pair.qid ? `qid ${pair.qid} / pid ${pair.pid}` : `"${pair.query.slice(0, 40)}"`;
  const detail =
    result.sigmoid !== undefined ? ` (logit; sigmoid ${result.sigmoid.toFixed(4)})` : ' (P(relevant))';
  log.appendLine(
    `score ${label}: ${result.score.toFixed(6)}${detail}, logits [${result.logits.map((l) => l.toFixed(4)).join(', ')}]${truncated ? ', passage truncated' : ''}`,
  );
  void vscode.window.showInformationMessage(
    `RankLens: ${label} scores ${result.score.toFixed(4)}${detail}${truncated ? ' — the passage was truncated to fit' : ''}.`,
  );
  return outcome;
}

/** A query/passage pair to run the model on, with its ids when it comes from the open dataset. */
export interface ChosenPair {
  readonly query: string;
  readonly passage: string;
  readonly qid?: string;
  readonly pid?: string;
}

/** Texts as given, or qid/pid looked up in the open dataset (shared by the pair commands). */
export async function resolvePairArgs(
  dataset: Dataset | undefined,
  args: ScorePairArgs,
): Promise<ChosenPair | undefined> {
  if ('query' in args) return { query: args.query, passage: args.passage };
  if (!dataset) throw new Error('open a dataset first (RankLens: Open Dataset…) to score by qid and pid');
  const query = queryText(dataset, args.qid);
  if (query === undefined) throw new Error(`qid ${args.qid} has no query text in the open dataset`);
  const passage = await dataset.collection?.get(args.pid);
  if (!passage) throw new Error(`pid ${args.pid} is not in the open collection`);
  return { query, passage: passage.text, qid: args.qid, pid: args.pid };
}

/** "Type a query…" / "Type a passage…" entries: with a dataset open the user can still use their own text. */
const TYPE_QUERY = '$(edit) Type a query…';
const TYPE_PASSAGE = '$(edit) Type a passage…';

async function typed(prompt: string, placeHolder?: string): Promise<string | undefined> {
  const text = await vscode.window.showInputBox({ prompt, placeHolder, ignoreFocusOut: true });
  return text && text.trim() !== '' ? text : undefined;
}

/**
 * Asks for a pair: a query (grouped by the file, i.e. the split, it comes from) then a judged or ranked
 * passage from the open dataset; either can also be typed. Without a collection both are typed.
 */
export async function pickPair(dataset: Dataset | undefined): Promise<ChosenPair | undefined> {
  if (!dataset?.collection) {
    const query = await typed('Query', 'what is a cross-encoder');
    if (!query) return undefined;
    const passage = await typed('Passage');
    return passage ? { query, passage } : undefined;
  }
  const qids = [...new Set(dataset.queries.flatMap((q) => [...q.texts.keys()]))];
  // The split (from the queries file's name) comes first, so typing "heldout" or "DL19" narrows the list.
  const splits = querySplits(dataset.queries);
  const items: vscode.QuickPickItem[] = qids.map((qid) => ({
    label: qid,
    description: [splits.get(qid), queryText(dataset, qid)].filter((s) => s !== undefined).join(' · '),
  }));
  // Typing comes last, so Enter still takes the first query; alwaysShow keeps it visible while filtering.
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: TYPE_QUERY, alwaysShow: true },
  );
  const q = await vscode.window.showQuickPick(items, {
    placeHolder: 'Pick a query',
    matchOnDescription: true,
  });
  if (!q) return undefined;
  if (q.label === TYPE_QUERY) {
    const query = await typed('Query', 'what is a cross-encoder');
    if (!query) return undefined;
    const passage = await typed('Passage');
    return passage ? { query, passage } : undefined;
  }
  const qid = q.label;
  const queryOfQid = queryText(dataset, qid) ?? '';
  const candidates = new Map<string, string>();
  for (const qrels of dataset.qrels)
    for (const [pid, grade] of qrels.judgements.get(qid) ?? []) candidates.set(pid, `judged ${grade}`);
  for (const run of dataset.runs) {
    for (const c of (run.rankings.get(qid) ?? []).slice(0, 100)) {
      if (!candidates.has(c.pid)) candidates.set(c.pid, `#${c.rank} in ${path.basename(run.file)}`);
    }
  }
  const pids = [...candidates.keys()];
  const texts = await dataset.collection.getMany(pids);
  const passageItems: vscode.QuickPickItem[] = [
    ...pids.flatMap((pid, i) =>
      texts[i] ? [{ label: pid, description: candidates.get(pid), detail: texts[i].text }] : [],
    ),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: TYPE_PASSAGE, alwaysShow: true },
  ];
  const p = await vscode.window.showQuickPick(passageItems, {
    placeHolder: 'Pick a passage',
    matchOnDetail: true,
  });
  if (!p) return undefined;
  if (p.label === TYPE_PASSAGE) {
    const passage = await typed(`Passage for query ${qid}: ${queryOfQid}`);
    return passage ? { query: queryOfQid, passage, qid } : undefined;
  }
  if (!p.detail) return undefined;
  return { query: queryOfQid, passage: p.detail, qid, pid: p.label };
}
