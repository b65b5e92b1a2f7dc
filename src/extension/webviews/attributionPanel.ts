import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NotificationBody } from '../../protocol/endpoint';
import {
  attributionProtocol,
  type AttributionProtocol,
  type AttributionView,
} from '../../protocol/attribution';
import { openPanel, type WebviewHost } from './webviewHost';

type Rendered = NotificationBody<AttributionProtocol, 'host', 'rendered'>;

/** Where "Save PNG" writes the heatmap: beside the result's JSON under .ranklens/attributions. */
export function pngPathFor(savedTo: string): string {
  return savedTo.replace(/\.json$/, '') + '.heatmap.png';
}

/** Decodes the view's data: URL and writes the PNG; refuses anything that is not a base64 PNG. */
export async function writePng(file: string, dataUrl: string): Promise<void> {
  const match = /^data:image\/png;base64,(.*)$/s.exec(dataUrl);
  if (!match) throw new Error('the attribution view sent a heatmap image that is not a base64 PNG');
  await writeFile(file, Buffer.from(match[1], 'base64'));
}

/**
 * A webview panel with one pair's Integrated Gradients: the query and passage texts coloured by
 * attribution, a layers x tokens heatmap, the completeness numbers, and where the JSON was saved.
 */
export class AttributionPanel {
  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly host: WebviewHost<AttributionProtocol>,
  ) {}

  static show(extensionUri: vscode.Uri, view: AttributionView, log?: vscode.OutputChannel): AttributionPanel {
    const label = view.qid ? `qid ${view.qid} / pid ${view.pid}` : view.query.slice(0, 30);
    const { panel, host } = openPanel({
      viewType: 'ranklens.attribution',
      title: `Integrated Gradients: ${label}`,
      bundle: 'attribution',
      protocol: attributionProtocol,
      extensionUri,
      log,
      handlers: {
        notifications: {
          openJson: () =>
            void vscode.window.showTextDocument(vscode.Uri.file(view.savedTo), { preview: true }),
        },
        requests: {
          savePng: async ({ dataUrl }) => {
            const file = pngPathFor(view.savedTo);
            await writePng(file, dataUrl);
            void vscode.window
              .showInformationMessage(`RankLens: heatmap saved to ${path.basename(file)}.`, 'Reveal')
              .then((choice) => {
                if (choice === 'Reveal')
                  void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
              });
            return { file };
          },
        },
      },
    });
    host.show('show', view);
    return new AttributionPanel(panel, host);
  }

  /** Resolves when the webview has drawn the texts and the heatmap (tests and screenshots wait on it). */
  whenRendered(): Promise<Rendered> {
    return this.host.latestOr('rendered');
  }

  /** Does what the "Save PNG" button does and resolves with the file written. */
  async savePng(): Promise<string> {
    return (await this.host.request('exportPng', {})).file;
  }
}
