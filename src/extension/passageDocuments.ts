import * as vscode from 'vscode';
import type { DatasetController } from './datasetController';

export const PASSAGE_SCHEME = 'ranklens-passage';

/** Read-only documents "ranklens-passage:/<pid>" with a passage's text, read from the open collection. */
export class PassageDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly controller: DatasetController) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const pid = decodeURIComponent(uri.path.replace(/^\//, '').replace(/\.txt$/, ''));
    const passage = await this.controller.dataset?.collection?.get(pid);
    return passage ? `${passage.text}\n` : `pid ${pid} is not in the open collection.\n`;
  }

  static uriFor(pid: string): vscode.Uri {
    return vscode.Uri.from({ scheme: PASSAGE_SCHEME, path: `/${encodeURIComponent(pid)}.txt` });
  }
}
