import * as vscode from 'vscode';
import type { ActiveSelectionState } from '../activeSelection';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';
import { PASSAGE_SCHEME, PassageDocuments } from '../passageDocuments';
import { lineContext } from './lineContext';
import type { PairAttribution, PairInsights, PairRef } from './pairInsights';
import { attributionLayerName } from '../../core/attribution';

/** Strength levels per sign; colours are translucent so the theme's own text colour stays readable. */
const LEVELS = 5;
/** Red raises the score, blue lowers it; lighter hues on dark (and dark high-contrast) backgrounds. */
const POSITIVE = { light: [214, 39, 40], dark: [255, 90, 90] };
const NEGATIVE = { light: [31, 119, 180], dark: [80, 160, 255] };

function decorationType(
  hue: { light: number[]; dark: number[] },
  level: number,
): vscode.TextEditorDecorationType {
  const alpha = (0.12 * (level + 1)).toFixed(2);
  const strong = level >= LEVELS - 2;
  const themed = (rgb: number[]): vscode.ThemableDecorationRenderOptions => ({
    backgroundColor: `rgba(${rgb.join(', ')}, ${alpha})`,
    // Strong tokens also get an underline in the sign's colour: visible in high-contrast themes, whose
    // backgrounds leave little room for a translucent fill.
    ...(strong ? { textDecoration: `underline rgb(${rgb.join(', ')})` } : {}),
  });
  return vscode.window.createTextEditorDecorationType({
    borderRadius: '2px',
    light: themed(hue.light),
    dark: themed(hue.dark),
  });
}

interface Target {
  readonly pair: PairRef;
  /** Offset of the passage's first character in the document. */
  readonly passageOffset: number;
}

/**
 * "RankLens: Toggle Attribution Decorations": colours every passage token in the editor by its
 * Integrated-Gradients attribution at the active layer and baseline (red raises the score, blue lowers
 * it; per-passage scale). Applies to passage documents opened from the Dataset view, and to the lines
 * under the cursors of collection files (with the active query) and top1000 run files. Follows the
 * cursor, the active layer/baseline/query and the model; each change cancels the computation before it.
 */
export class AttributionDecorations implements vscode.Disposable {
  private enabled = false;
  private readonly positive = Array.from({ length: LEVELS }, (_, l) => decorationType(POSITIVE, l));
  private readonly negative = Array.from({ length: LEVELS }, (_, l) => decorationType(NEGATIVE, l));
  private readonly subscriptions: vscode.Disposable[];
  private running: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Tokens decorated per editor document, for tests and the status message. */
  readonly applied = new Map<string, number>();
  /** Settles when the latest refresh has been applied (tests wait on it). */
  settled: Promise<void> = Promise.resolve();

  constructor(
    private readonly datasets: DatasetController,
    models: ModelController,
    private readonly active: ActiveSelectionState,
    private readonly insights: PairInsights,
    private readonly log: vscode.OutputChannel,
  ) {
    const soon = (delay: number) => () => {
      if (!this.enabled) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), delay);
    };
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(soon(0)),
      vscode.window.onDidChangeTextEditorSelection(soon(250)),
      active.onDidChange(soon(0)),
      models.onDidChange(soon(0)),
    ];
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Turns decorations on or off (toggles without an argument); returns the new state. */
  async toggle(on = !this.enabled): Promise<boolean> {
    this.enabled = on;
    void vscode.commands.executeCommand('setContext', 'ranklens.attributionDecorations', on);
    if (on) await this.refresh();
    else this.clearAll();
    return on;
  }

  /** Recomputes the decorations of the active editor. */
  refresh(): Promise<void> {
    this.running?.abort(new Error('superseded'));
    const abort = new AbortController();
    this.running = abort;
    const editor = vscode.window.activeTextEditor;
    this.settled = editor ? this.decorate(editor, abort.signal) : Promise.resolve();
    return this.settled;
  }

  private async decorate(editor: vscode.TextEditor, signal: AbortSignal): Promise<void> {
    try {
      const targets = await this.targets(editor);
      const buckets = [...this.positive, ...this.negative].map(() => [] as vscode.DecorationOptions[]);
      const view = this.active.current.view;
      for (const target of targets) {
        const attribution = await this.insights.attribution(target.pair, view, signal);
        this.place(editor.document, target, attribution, buckets);
      }
      if (signal.aborted || !this.enabled) return;
      [...this.positive, ...this.negative].forEach((type, i) => editor.setDecorations(type, buckets[i]));
      this.applied.set(
        editor.document.uri.toString(),
        buckets.reduce((n, b) => n + b.length, 0),
      );
    } catch (error) {
      if (signal.aborted) return;
      this.log.appendLine(`decorations: ${error instanceof Error ? error.message : String(error)}`);
      void vscode.window.setStatusBarMessage(
        `RankLens: no attribution decorations (${error instanceof Error ? error.message : String(error)})`,
        5000,
      );
    }
  }

  private place(
    document: vscode.TextDocument,
    target: Target,
    a: PairAttribution,
    buckets: vscode.DecorationOptions[][],
  ): void {
    const tokens = a.tokens
      .map((t, i) => ({ t, value: a.attributions[i] }))
      .filter(({ t }) => t.segment === 1 && t.start >= 0 && t.end > t.start);
    const scale = Math.max(...tokens.map(({ value }) => Math.abs(value)), 0);
    if (!(scale > 0)) return;
    for (const { t, value } of tokens) {
      const level = Math.min(LEVELS - 1, Math.floor((Math.abs(value) / scale) * LEVELS));
      if (Math.abs(value) / scale < 0.05) continue; // near zero: leave the text as it is
      const range = new vscode.Range(
        document.positionAt(target.passageOffset + t.start),
        document.positionAt(target.passageOffset + t.end),
      );
      const hoverMessage = new vscode.MarkdownString().appendText(
        `${t.text}: ${value >= 0 ? '+' : ''}${value.toPrecision(3)} (IG, ${attributionLayerName(a.layer)}, ${a.baseline} baseline; ${((100 * value) / scale).toFixed(0)}% of this passage's largest)`,
      );
      buckets[(value >= 0 ? 0 : LEVELS) + level].push({ range, hoverMessage });
    }
  }

  private async targets(editor: vscode.TextEditor): Promise<Target[]> {
    const document = editor.document;
    if (document.uri.scheme === PASSAGE_SCHEME) {
      const { pid, qid } = PassageDocuments.parse(document.uri);
      const text = document.getText();
      const offset = PassageDocuments.passageOffset(text);
      const passage = text.slice(offset).replace(/\n$/, '');
      const query =
        qid !== undefined
          ? this.datasets.dataset?.queries.map((q) => q.texts.get(qid)).find((t) => t !== undefined)
          : undefined;
      const chosen = query !== undefined ? { qid, text: query } : this.active.current.query;
      if (!chosen) throw new Error('no query for this passage: choose an active query first');
      return [{ pair: { qid: chosen.qid, pid, query: chosen.text, passage }, passageOffset: offset }];
    }
    const lines = [...new Set(editor.selections.map((s) => s.active.line))];
    const targets: Target[] = [];
    for (const line of lines) {
      const context = await lineContext(document, line, this.datasets, this.active);
      if (!context?.pair || context.passageStart === undefined) continue;
      targets.push({
        pair: context.pair,
        passageOffset: document.offsetAt(new vscode.Position(line, context.passageStart)),
      });
    }
    return targets;
  }

  private clearAll(): void {
    this.running?.abort(new Error('decorations turned off'));
    for (const editor of vscode.window.visibleTextEditors)
      for (const type of [...this.positive, ...this.negative]) editor.setDecorations(type, []);
    this.applied.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.running?.abort(new Error('disposed'));
    this.subscriptions.forEach((s) => s.dispose());
    [...this.positive, ...this.negative].forEach((t) => t.dispose());
  }
}
