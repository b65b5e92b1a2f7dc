import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readQrels, readRun, splitsOfQids } from '../../core/data';
import { evaluateRun, type EvaluationResult } from '../../core/eval';
import type { DatasetController } from '../datasetController';
import { EvaluationPanel } from '../webviews/evaluationPanel';

export interface EvaluateRunArgs {
  readonly run?: string;
  readonly qrels?: string;
  readonly minRelevance?: number;
}

export interface EvaluateRunOutcome {
  readonly result: EvaluationResult;
  readonly savedTo: string;
  /** qid -> split, as the panel shows it. */
  readonly splits: Readonly<Record<string, string>>;
  readonly panel: EvaluationPanel;
}

/**
 * Evaluates a run against qrels, shows the metrics in a panel and saves them as JSON under
 * <workspace>/.ranklens/evaluations (never next to, or over, the user's files).
 */
export async function evaluateRunCommand(
  controller: DatasetController,
  extensionUri: vscode.Uri,
  resultsDir: string,
  args: EvaluateRunArgs = {},
): Promise<EvaluateRunOutcome | undefined> {
  const runFile = args.run ?? (await pickFile('run', controller.dataset?.files.runs ?? []));
  if (!runFile) return undefined;
  const qrelsFile = args.qrels ?? (await pickFile('qrels', controller.dataset?.files.qrels ?? []));
  if (!qrelsFile) return undefined;
  const minRelevance =
    args.minRelevance ??
    vscode.workspace.getConfiguration('ranklens').get<number>('evaluation.minRelevance', 1);
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `RankLens: evaluating ${path.basename(runFile)}`,
      cancellable: true,
    },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const [run, qrels] = await Promise.all([
        readRun(runFile, { signal: abort.signal }),
        readQrels(qrelsFile, { signal: abort.signal }),
      ]);
      return evaluateRun(run, qrels, { minRelevance });
    },
  );
  await mkdir(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const savedTo = path.join(resultsDir, `${path.basename(runFile)}.${stamp}.json`);
  await writeFile(savedTo, JSON.stringify(result, null, 2) + '\n');
  const splits = splitsOfQids(
    result.perQuery.map((q) => q.qid),
    controller.dataset?.queries ?? [],
    qrelsFile,
  );
  const panel = EvaluationPanel.show(extensionUri, result, savedTo, splits);
  return { result, savedTo, splits, panel };
}

async function pickFile(role: 'run' | 'qrels', known: readonly string[]): Promise<string | undefined> {
  const browse = 'Browse…';
  if (known.length > 0) {
    const items: vscode.QuickPickItem[] = [
      ...known.map((f) => ({ label: path.basename(f), description: f })),
      { label: browse },
    ];
    const choice = await vscode.window.showQuickPick(items, {
      placeHolder: `Pick the ${role} file`,
    });
    if (!choice) return undefined;
    if (choice.label !== browse) return choice.description;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: `Use as ${role}`,
    title: `RankLens: ${role} file`,
  });
  return picked?.[0]?.fsPath;
}
