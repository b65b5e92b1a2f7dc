import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationResult } from '../core/eval';
import { isFromEvaluationView, type FromEvaluationView, type ToEvaluationView } from '../protocol/evaluation';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** A webview panel showing one run's metrics, per-query reciprocal ranks, and where the JSON was saved. */
export class EvaluationPanel {
  private readonly rendered: Promise<Extract<FromEvaluationView, { type: 'rendered' }>>;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    result: EvaluationResult,
    savedTo: string,
  ) {
    let resolveRendered: (m: Extract<FromEvaluationView, { type: 'rendered' }>) => void = () => undefined;
    this.rendered = new Promise((resolve) => (resolveRendered = resolve));
    panel.webview.onDidReceiveMessage(async (message: unknown) => {
      if (!isFromEvaluationView(message)) return;
      if (message.type === 'ready') await this.post({ type: 'show', result, savedTo });
      else if (message.type === 'rendered') resolveRendered(message);
      else if (message.type === 'openJson') await vscode.window.showTextDocument(vscode.Uri.file(savedTo));
    });
  }

  static show(extensionUri: vscode.Uri, result: EvaluationResult, savedTo: string): EvaluationPanel {
    const panel = vscode.window.createWebviewPanel(
      'ranklens.evaluation',
      `Evaluation: ${path.basename(result.runFile)}`,
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    const view = new EvaluationPanel(panel, result, savedTo);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'evaluation', 'RankLens evaluation');
    return view;
  }

  /** Resolves when the webview has drawn its table and chart (tests and screenshots wait on it). */
  whenRendered(): Promise<Extract<FromEvaluationView, { type: 'rendered' }>> {
    return this.rendered;
  }

  private async post(message: ToEvaluationView): Promise<void> {
    await this.panel.webview.postMessage(message);
  }
}
