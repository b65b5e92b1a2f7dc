import * as vscode from 'vscode';
import { referenceOfLine } from '../../core/data';
import { inspectPairCommand } from './inspectCommand';
import { roleOfDocument } from './lineContext';
import { queryBlockStarts } from './queryBlocks';

/** Lines around the visible range that get lenses too, so scrolling a little shows them at once. */
const MARGIN = 40;
/** Lines given lenses when the document is in no visible editor (executeCodeLensProvider, say). */
const UNSEEN_LINES = 200;

/**
 * "Inspect pair" above the first line of each query's block in a run or qrels file (a lens on every line would
 * double the file's height), for the lines in view only. Every other line is inspected from its hover or the
 * context menu. Lenses are refreshed when the visible range moves, and can be turned off with
 * ranklens.editor.codeLens.
 */
export class InspectPairCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    const later = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed.fire(), 150);
    };
    this.subscriptions = [
      vscode.window.onDidChangeTextEditorVisibleRanges(later),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ranklens.editor.codeLens')) this.changed.fire();
      }),
    ];
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('ranklens').get<boolean>('editor.codeLens', true)) return [];
    const role = roleOfDocument(document);
    if (role !== 'run' && role !== 'qrels') return [];
    const command = await inspectPairCommand();
    const lenses: vscode.CodeLens[] = [];
    const pairOf = (line: number) => {
      const reference = referenceOfLine(role, document.lineAt(line).text);
      return reference?.kind === 'candidate' || reference?.kind === 'judgement' ? reference : undefined;
    };
    for (const [from, to] of linesInView(document)) {
      for (const line of queryBlockStarts(from, to, (l) => pairOf(l)?.qid)) {
        const { qid, pid } = pairOf(line)!;
        lenses.push(
          new vscode.CodeLens(document.lineAt(line).range, {
            title: `Inspect pair: query ${qid}`,
            tooltip: `Open query ${qid} with passage ${pid} (this line) in the RankLens pair inspector`,
            command,
            arguments: [{ qid, pid }],
          }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

/** Merged [first, last] line ranges of the document in view in any editor, widened by MARGIN. */
function linesInView(document: vscode.TextDocument): [number, number][] {
  const last = document.lineCount - 1;
  const ranges = vscode.window.visibleTextEditors
    .filter((e) => e.document === document)
    .flatMap((e) => e.visibleRanges)
    .map((r): [number, number] => [Math.max(0, r.start.line - MARGIN), Math.min(last, r.end.line + MARGIN)])
    .sort((a, b) => a[0] - b[0]);
  if (ranges.length === 0) return [[0, Math.min(last, UNSEEN_LINES - 1)]];
  const merged: [number, number][] = [ranges[0]];
  for (const [from, to] of ranges.slice(1)) {
    const top = merged[merged.length - 1];
    if (from <= top[1] + 1) top[1] = Math.max(top[1], to);
    else merged.push([from, to]);
  }
  return merged;
}
