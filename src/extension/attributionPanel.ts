import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  isFromAttributionView,
  type AttributionView,
  type FromAttributionView,
  type ToAttributionView,
} from '../protocol/attribution';
import { webviewHtml, webviewOptions } from './webviewHtml';

type Rendered = Extract<FromAttributionView, { type: 'rendered' }>;

/** Where "Save PNG" writes the heatmap: beside the result's JSON under .ranklens/attributions. */
export function pngPathFor(savedTo: string): string {
  return savedTo.replace(/\.json$/, '') + '.heatmap.png';
}

/**
 * A webview panel with one pair's Integrated Gradients: the query and passage texts coloured by
 * attribution, a layers x tokens heatmap, the completeness numbers, and where the JSON was saved.
 */
export class AttributionPanel {
  private readonly rendered: Promise<Rendered>;
  private pngWaiters: ((file: string) => void)[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    view: AttributionView,
  ) {
    let resolveRendered: (m: Rendered) => void = () => undefined;
    this.rendered = new Promise((resolve) => (resolveRendered = resolve));
    panel.webview.onDidReceiveMessage(async (message: unknown) => {
      if (!isFromAttributionView(message)) return;
      if (message.type === 'ready') await this.post({ type: 'show', ...view });
      else if (message.type === 'rendered') resolveRendered(message);
      else if (message.type === 'openJson')
        await vscode.window.showTextDocument(vscode.Uri.file(view.savedTo), { preview: true });
      else if (message.type === 'savePng') {
        await this.writePng(view.savedTo, message.dataUrl).catch((error: unknown) => {
          void vscode.window.showErrorMessage(
            `RankLens: could not save the heatmap: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
      }
    });
  }

  static show(extensionUri: vscode.Uri, view: AttributionView): AttributionPanel {
    const label = view.qid ? `qid ${view.qid} / pid ${view.pid}` : view.query.slice(0, 30);
    const panel = vscode.window.createWebviewPanel(
      'ranklens.attribution',
      `Integrated Gradients: ${label}`,
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    const shown = new AttributionPanel(panel, view);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'attribution', 'RankLens attribution');
    return shown;
  }

  /** Resolves when the webview has drawn the texts and the heatmap (tests and screenshots wait on it). */
  whenRendered(): Promise<Rendered> {
    return this.rendered;
  }

  /** Does what the "Save PNG" button does and resolves with the file written. */
  async savePng(): Promise<string> {
    const written = new Promise<string>((resolve) => this.pngWaiters.push(resolve));
    await this.post({ type: 'exportPng' });
    return written;
  }

  private async writePng(savedTo: string, dataUrl: string): Promise<void> {
    const match = /^data:image\/png;base64,(.*)$/s.exec(dataUrl);
    if (!match) throw new Error('the attribution view sent a heatmap image that is not a base64 PNG');
    const file = pngPathFor(savedTo);
    await writeFile(file, Buffer.from(match[1], 'base64'));
    for (const resolve of this.pngWaiters.splice(0)) resolve(file);
    void vscode.window
      .showInformationMessage(`RankLens: heatmap saved to ${path.basename(file)}.`, 'Reveal')
      .then((choice) => {
        if (choice === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
      });
  }

  private async post(message: ToAttributionView): Promise<void> {
    await this.panel.webview.postMessage(message);
  }
}
