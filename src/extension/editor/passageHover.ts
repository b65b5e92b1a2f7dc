import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActiveSelectionState } from '../activeSelection';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';
import { inspectPairCommand } from './inspectCommand';
import { lineContext } from './lineContext';
import type { PairAttribution, PairInsights } from './pairInsights';
import { attributionLayerName } from '../../core/attribution';

const PASSAGE_CHARS = 700;
const TOP_TOKENS = 8;

/** Commands a hover may link to (MarkdownString.isTrusted lists exactly these). */
const HOVER_COMMANDS = ['ranklens.setActiveQuery', 'ranklens.inspectPair', 'ranklens.attributePair'];

/**
 * Hover on a line of a collection, run or qrels file: the passage, its score for the line's query (for a
 * collection line, the active query), its rank among the query's candidates, its grade, and its top
 * attributed passage tokens at the active layer. Everything is computed in the model's worker and cached;
 * a hover that goes away cancels what it started.
 */
export class PassageHoverProvider implements vscode.HoverProvider {
  /** Milliseconds the last hover took, and whether everything came from the caches (for tests). */
  lastTiming: { readonly ms: number; readonly cached: boolean } | undefined;

  constructor(
    private readonly datasets: DatasetController,
    private readonly models: ModelController,
    private readonly active: ActiveSelectionState,
    private readonly insights: PairInsights,
  ) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const started = performance.now();
    const context = await lineContext(document, position.line, this.datasets, this.active);
    if (!context) return undefined;
    const abort = new AbortController();
    const subscription = token.onCancellationRequested(() => abort.abort(new Error('hover closed')));
    const markdown = new vscode.MarkdownString(undefined, true);
    markdown.isTrusted = { enabledCommands: HOVER_COMMANDS };
    const range = document.lineAt(position.line).range;
    try {
      const { reference, pair } = context;
      if (reference.kind === 'query') {
        markdown.appendMarkdown(`**RankLens** · query ${code(reference.qid)}\n\n`);
        markdown.appendText(reference.text);
        markdown.appendMarkdown(
          `\n\n[Set as active query](${commandUri('ranklens.setActiveQuery', { qid: reference.qid, text: reference.text })}) — hovers on collection lines then score passages against it.`,
        );
        return new vscode.Hover(markdown, range);
      }
      const ids = [
        'qid' in reference ? `qid ${code(reference.qid)}` : undefined,
        `pid ${code(reference.pid)}`,
        context.grade !== undefined ? `grade ${context.grade}` : undefined,
      ].filter(Boolean);
      markdown.appendMarkdown(`**RankLens** · ${ids.join(' · ')}\n\n`);
      if (!pair) {
        if (context.missing === 'no active query') {
          markdown.appendMarkdown(
            `No active query to score this passage against: [choose one](${commandUri('ranklens.setActiveQuery', {})}), or pick a query in the pair inspector or the Dataset view.\n\n`,
          );
          markdown.appendText(clip(reference.kind === 'passage' ? reference.text : ''));
        } else markdown.appendText(`Not scored: ${context.missing ?? 'unknown pair'}.`);
        return new vscode.Hover(markdown, range);
      }
      const runFile = context.role === 'run' ? document.fileName : undefined;
      const cached =
        this.insights.cachedScore(pair) !== undefined &&
        this.insights.cachedRank(pair, runFile) !== undefined;
      const view = this.active.current.view;
      const [score, rank, attribution] = await Promise.all([
        this.insights.score(pair, abort.signal),
        this.insights.rank(pair, runFile, abort.signal),
        this.insights.attribution(pair, view, abort.signal),
      ]);
      const model = await this.models.model();
      const sigmoid = model.info.numLabels === 1 ? ` (σ ${(1 / (1 + Math.exp(-score))).toFixed(3)})` : '';
      const scoreLabel = model.info.numLabels === 2 ? 'P(relevant)' : 'score';
      markdown.appendMarkdown(
        `**${scoreLabel}** ${score.toFixed(4)}${sigmoid} · ${path.basename(model.dir)}` +
          (rank ? ` · **rank ${rank.rank}** of ${rank.of} (${rank.source})` : '') +
          '\n\n',
      );
      markdown.appendMarkdown(`**Query** ${pair.qid !== undefined ? `${code(pair.qid)} ` : ''}`);
      markdown.appendText(pair.query);
      markdown.appendMarkdown('\n\n' + topTokens(attribution) + '\n\n---\n\n');
      markdown.appendText(clip(pair.passage));
      if (pair.qid !== undefined && pair.pid !== undefined)
        markdown.appendMarkdown(
          `\n\n[Inspect pair](${commandUri(await inspectPairCommand(), { qid: pair.qid, pid: pair.pid })})`,
        );
      this.lastTiming = { ms: performance.now() - started, cached };
      return new vscode.Hover(markdown, range);
    } finally {
      subscription.dispose();
    }
  }
}

function topTokens(a: PairAttribution): string {
  const passage = a.tokens
    .map((t, i) => ({ t, value: a.attributions[i] }))
    .filter(({ t }) => t.segment === 1 && (t.kind === 'doc' || t.kind === 'period'));
  const top = [...passage].sort((x, y) => Math.abs(y.value) - Math.abs(x.value)).slice(0, TOP_TOKENS);
  const head = `**Top passage tokens** (Integrated Gradients, ${attributionLayerName(a.layer)}, ${a.baseline} baseline${a.converged ? '' : `, completeness error ${(100 * a.completenessError).toFixed(1)}%`})`;
  if (top.length === 0 || top.every((x) => x.value === 0))
    return `${head}: all zero at this layer (after the last layer only [CLS] reaches the classifier).`;
  return `${head}: ${top.map(({ t, value }) => `${code(t.text)} ${value >= 0 ? '+' : '−'}${Math.abs(value).toPrecision(2)}`).join(' · ')}`;
}

function clip(text: string): string {
  return text.length > PASSAGE_CHARS ? `${text.slice(0, PASSAGE_CHARS)}…` : text;
}

/** Inline code that cannot be broken by backticks in the text. */
function code(text: string): string {
  return '`` ' + text.replace(/`/g, "'") + ' ``';
}

export function commandUri(command: string, args: object): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([args]))}`;
}
