import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationResult } from '../../core/eval';
import { evaluationProtocol, type EvaluationProtocol } from '../../protocol/evaluation';
import type { NotificationBody } from '../../protocol/endpoint';
import { openPanel, type WebviewHost } from './webviewHost';

type Rendered = NotificationBody<EvaluationProtocol, 'host', 'rendered'>;

/** A webview panel showing one run's metrics, per-query reciprocal ranks, and where the JSON was saved. */
export class EvaluationPanel {
  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly host: WebviewHost<EvaluationProtocol>,
  ) {}

  static show(
    extensionUri: vscode.Uri,
    result: EvaluationResult,
    savedTo: string,
    splits: Readonly<Record<string, string>>,
  ): EvaluationPanel {
    const { panel, host } = openPanel({
      viewType: 'ranklens.evaluation',
      title: `Evaluation: ${path.basename(result.runFile)}`,
      bundle: 'evaluation',
      protocol: evaluationProtocol,
      extensionUri,
      handlers: {
        notifications: {
          openJson: () => void vscode.window.showTextDocument(vscode.Uri.file(savedTo)),
        },
        requests: {},
      },
    });
    host.show('show', { result, savedTo, splits: { ...splits } });
    return new EvaluationPanel(panel, host);
  }

  /** Resolves when the webview has drawn its table and chart (tests and screenshots wait on it). */
  whenRendered(): Promise<Rendered> {
    return this.host.latestOr('rendered');
  }
}
