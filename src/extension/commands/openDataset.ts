import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import {
  classifyFiles,
  discoverDatasetFiles,
  warningsOf,
  type Dataset,
  type DatasetFiles,
} from '../../core/data';
import type { DatasetController } from '../datasetController';

/** Either a folder of MS MARCO files or a list of files; with no argument, the user picks. */
export type OpenDatasetArgs =
  { readonly folder: string } | { readonly files: readonly string[] } | vscode.Uri;

export async function openDatasetCommand(
  controller: DatasetController,
  args?: OpenDatasetArgs,
): Promise<Dataset | undefined> {
  const files = await resolveFiles(args);
  if (!files) return undefined;
  const dataset = await controller.open(files);
  if (dataset) {
    await vscode.commands.executeCommand('ranklens.dataset.focus');
    const problems = dataset.errors.length + warningsOf(dataset.issues).length;
    const summary = `${dataset.collection ? `${dataset.collection.size} passages, ` : ''}${dataset.queries.reduce((n, q) => n + q.texts.size, 0)} queries, ${dataset.runs.length} run(s)`;
    if (dataset.errors.length > 0) {
      void vscode.window
        .showWarningMessage(
          `RankLens: dataset opened with ${dataset.errors.length} unreadable file(s): ${dataset.errors[0].message}`,
          'Show Problems',
        )
        .then((c) => {
          if (c) void vscode.commands.executeCommand('ranklens.dataset.focus');
        });
    } else {
      void vscode.window.showInformationMessage(
        `RankLens: dataset opened (${summary}${problems ? `; ${problems} warning(s)` : ''}).`,
      );
    }
  }
  return dataset;
}

async function resolveFiles(args: OpenDatasetArgs | undefined): Promise<DatasetFiles | undefined> {
  if (args instanceof vscode.Uri) return fromPaths([args.fsPath]);
  if (args && 'folder' in args) return discoverDatasetFiles(args.folder);
  if (args && 'files' in args) return classifyFiles(args.files);
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: true,
    openLabel: 'Open Dataset',
    title: 'RankLens: a folder of MS MARCO files, or the collection, queries, qrels and run files',
  });
  return picked && picked.length > 0 ? fromPaths(picked.map((u) => u.fsPath)) : undefined;
}

async function fromPaths(paths: string[]): Promise<DatasetFiles> {
  if (paths.length === 1 && (await stat(paths[0])).isDirectory()) return discoverDatasetFiles(paths[0]);
  return classifyFiles(paths);
}
