import * as vscode from 'vscode';

/** Opens `file` in a preview editor with the cursor at 1-based `line` (the first line when none is given). */
export async function revealLine(file: string, line: number | undefined): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  await vscode.window.showTextDocument(document, {
    selection: new vscode.Range(position, position),
    preview: true,
  });
}
