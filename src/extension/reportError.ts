import * as vscode from 'vscode';
import { DataError } from '../core/data';
import { CancelledError } from '../core/progress';

/**
 * Shows an error the way a user can act on it: DataErrors offer to open the file at the offending line.
 * Never waits for the user's answer, so the command that failed returns at once.
 */
export async function reportError(error: unknown, log: vscode.OutputChannel): Promise<void> {
  if (error instanceof CancelledError) {
    log.appendLine(error.message);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  log.appendLine(`error: ${error instanceof Error ? (error.stack ?? message) : message}`);
  if (error instanceof DataError) {
    const file = error.file;
    const line = error.line;
    void vscode.window.showErrorMessage(`RankLens: ${message}`, 'Open File').then(async (choice) => {
      if (choice === 'Open File') await revealLine(file, line).catch(() => undefined);
    });
    return;
  }
  void vscode.window.showErrorMessage(`RankLens: ${message}`);
}

export async function revealLine(file: string, line: number | undefined): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  await vscode.window.showTextDocument(document, {
    selection: new vscode.Range(position, position),
    preview: true,
  });
}
