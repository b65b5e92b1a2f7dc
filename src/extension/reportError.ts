import * as vscode from 'vscode';
import { DataError } from '../core/data';
import { CancelledError } from '../core/progress';
import { revealLine } from './editor/revealLine';

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
