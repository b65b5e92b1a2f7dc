import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetController } from './datasetController';
import type { PairInsights } from './editor/pairInsights';
import type { ModelController } from './modelController';

export const PASSAGE_SCHEME = 'ranklens-passage';
/** The language of passage documents: soft-wrapped by default (package.json configurationDefaults). */
export const PASSAGE_LANGUAGE = 'ranklens-passage';

/**
 * Read-only documents "ranklens-passage:/<pid>.rlpassage?qid=<qid>": a header with the query, the
 * passage's grade, score and rank for that query, a blank line, then the passage, soft-wrapped.
 */
export class PassageDocuments implements vscode.TextDocumentContentProvider {
  constructor(
    private readonly controller: DatasetController,
    private readonly models?: ModelController,
    private readonly insights?: PairInsights,
  ) {}

  async provideTextDocumentContent(uri: vscode.Uri, token?: vscode.CancellationToken): Promise<string> {
    const { pid, qid } = PassageDocuments.parse(uri);
    const dataset = this.controller.dataset;
    const passage = await dataset?.collection?.get(pid);
    if (!passage) return `Passage ${pid}\n\npid ${pid} is not in the open collection.\n`;
    const header: string[] = [];
    const query = qid !== undefined ? queryOf(this.controller, qid) : undefined;
    if (qid !== undefined && query !== undefined) {
      header.push(`Query ${qid}: ${query.text}  (${path.basename(query.file)})`);
      const facts = [`Passage ${pid}`];
      const grade = gradeOf(this.controller, qid, pid);
      facts.push(grade !== undefined ? `grade ${grade}` : 'not judged');
      if (this.insights && this.models) {
        const abort = new AbortController();
        token?.onCancellationRequested(() => abort.abort(new Error('closed')));
        const pair = { qid, pid, query: query.text, passage: passage.text };
        try {
          const score = await this.insights.score(pair, abort.signal);
          const model = await this.models.model();
          facts.push(`score ${score.toFixed(4)} (${path.basename(model.dir)})`);
          const rank = await this.insights.rank(pair, undefined, abort.signal);
          if (rank) facts.push(`rank ${rank.rank} of ${rank.of} (${rank.source})`);
        } catch (error) {
          facts.push(`not scored: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      header.push(facts.join(' · '));
    } else {
      header.push(
        `Passage ${pid}${qid !== undefined ? ` (qid ${qid} has no query text in the open dataset)` : ''}`,
      );
    }
    return `${header.join('\n')}\n\n${passage.text}\n`;
  }

  static uriFor(pid: string, qid?: string): vscode.Uri {
    return vscode.Uri.from({
      scheme: PASSAGE_SCHEME,
      path: `/${encodeURIComponent(pid)}.rlpassage`,
      query: qid !== undefined ? `qid=${encodeURIComponent(qid)}` : '',
    });
  }

  static parse(uri: vscode.Uri): { pid: string; qid?: string } {
    const pid = decodeURIComponent(uri.path.replace(/^\//, '').replace(/\.(rlpassage|txt)$/, ''));
    const match = /(?:^|&)qid=([^&]*)/.exec(uri.query);
    return match ? { pid, qid: decodeURIComponent(match[1]) } : { pid };
  }

  /** UTF-16 offset where the passage starts in a passage document's text (after the header). */
  static passageOffset(text: string): number {
    const blank = text.indexOf('\n\n');
    return blank < 0 ? 0 : blank + 2;
  }
}

function queryOf(controller: DatasetController, qid: string): { text: string; file: string } | undefined {
  for (const set of controller.dataset?.queries ?? []) {
    const text = set.texts.get(qid);
    if (text !== undefined) return { text, file: set.file };
  }
  return undefined;
}

function gradeOf(controller: DatasetController, qid: string, pid: string): number | undefined {
  for (const q of controller.dataset?.qrels ?? []) {
    const grade = q.judgements.get(qid)?.get(pid);
    if (grade !== undefined) return grade;
  }
  return undefined;
}
