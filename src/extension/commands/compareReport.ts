// RankLens: Compare Report with Another Model's Results…: the open report gets another model's results drawn in
// (its curves overlaid, and a section of paired tests over the queries both ran).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readComparedFolder } from '../../core/report/readComparedFolder';
import { ReportPanel } from '../webviews/reportPanel';

export interface CompareReportArgs {
  /** The other model's results: an analysis's folder (result.json) or a report's work folder. */
  readonly folder?: string;
}

const sameFolder = (a: string, b: string) => {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
};

export async function compareReportCommand(args: CompareReportArgs = {}): Promise<ReportPanel | undefined> {
  const panel = ReportPanel.active;
  if (!panel) {
    void vscode.window.showInformationMessage(
      'RankLens: open an analysis report first (RankLens: Analyze: …), then compare it with another model’s results.',
    );
    return undefined;
  }
  const folder =
    args.folder ??
    (
      await vscode.window.showOpenDialog({
        canSelectFiles: false,
        canSelectFolders: true,
        defaultUri: vscode.Uri.file(path.dirname(panel.folder)),
        openLabel: 'Compare',
        title: 'Another model’s results: an analysis folder (result.json) or a report’s work folder',
      })
    )?.[0]?.fsPath;
  if (!folder) return undefined;
  if (sameFolder(folder, panel.folder))
    throw new Error(
      `${folder} holds this report’s own results: pick another model’s results to compare with`,
    );
  panel.compareWith(readComparedFolder(folder));
  return panel;
}
