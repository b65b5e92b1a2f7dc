import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ComparedResults } from '../../core/report/compareModels';
import { comparedModels, type ReportInput } from '../../core/report/sections';
import type { NotificationBody } from '../../protocol/endpoint';
import type { DrillTarget } from '../../core/report/drillDown';
import { reportProtocol, type QueryRanking, type ReportProtocol } from '../../protocol/report';
import type { InspectPairOutcome } from '../commands/inspectPair';
import { writePng } from './attributionPanel';
import { openPanel, type WebviewHost } from './webviewHost';

type Rendered = NotificationBody<ReportProtocol, 'host', 'rendered'>;

/** A saved chart or table keeps to plain file names inside the analysis folder. */
function safeName(name: string): string {
  const base = path.basename(name).replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/\.(png|svg|csv)$/.test(base))
    throw new Error(`the report view asked to save "${name}" (want .png, .svg or .csv)`);
  return base;
}

/** What the drill-down asks of the extension: a query re-ranked under a comparison, a pair opened with it. */
export interface ReportDrillHost {
  queryRanking(target: DrillTarget, qid: string): Promise<QueryRanking>;
  /** Opens the pair; resolves with what RankLens: Inspect Pair… gave (the inspector). */
  inspectPair(target: DrillTarget, qid: string, pid: string): Promise<InspectPairOutcome | undefined>;
}

const noDrillHost = (): never => {
  throw new Error('this report was opened without a model and dataset to re-rank its queries');
};

/**
 * The analysis report panel: the sections of `ranklens report` for the analyses given (charts in the
 * paper's form with Zhan et al.'s values beside), Save PNG / SVG / CSV into the analysis folder.
 */
export class ReportPanel {
  /** The report panel the user looked at last (RankLens: Compare Report… adds to it), while it is open. */
  static active: ReportPanel | undefined;
  /** The inspector the drill-down opened last (tests look at it). */
  inspected: InspectPairOutcome | undefined;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly host: WebviewHost<ReportProtocol>,
    private shown: ReportInput,
    /** The folder the report's results (and saved charts) are in. */
    readonly folder: string,
  ) {
    ReportPanel.active = this;
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (webviewPanel.active) ReportPanel.active = this;
    });
    panel.onDidDispose(() => {
      if (ReportPanel.active === this) ReportPanel.active = undefined;
    });
  }

  /** What the panel shows. */
  get input(): ReportInput {
    return this.shown;
  }

  /** Draws another model's results into the report: overlaid curves and a comparison section of its own. */
  compareWith(compared: ComparedResults): void {
    this.shown = {
      ...this.shown,
      compareWith: [...comparedModels(this.shown.compareWith), compared],
    };
    this.host.show('show', { input: this.shown, savedTo: this.folder });
    this.panel.reveal();
  }

  static show(
    extensionUri: vscode.Uri,
    input: ReportInput,
    folder: string,
    log?: vscode.OutputChannel,
    drill?: ReportDrillHost,
  ): ReportPanel {
    const ref: { panel?: ReportPanel } = {};
    const { panel, host } = openPanel({
      viewType: 'ranklens.report',
      title: input.title.replace(/^RankLens: /, ''),
      bundle: 'report',
      protocol: reportProtocol,
      extensionUri,
      log,
      handlers: {
        notifications: {
          openFolder: () => void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(folder)),
        },
        requests: {
          save: async ({ name, format, content }) => {
            const file = path.join(folder, safeName(name));
            if (format === 'png') await writePng(file, content);
            else await writeFile(file, content);
            void vscode.window
              .showInformationMessage(`RankLens: saved ${path.basename(file)}.`, 'Reveal')
              .then((choice) => {
                if (choice === 'Reveal')
                  void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
              });
            return { file };
          },
          queryRanking: ({ target, qid }) => (drill ?? noDrillHost()).queryRanking(target, qid),
          inspectPair: async ({ target, qid, pid }) => {
            const outcome = await (drill ?? noDrillHost()).inspectPair(target, qid, pid);
            if (ref.panel) ref.panel.inspected = outcome;
            return {};
          },
        },
      },
    });
    host.show('show', { input, savedTo: folder });
    ref.panel = new ReportPanel(panel, host, input, folder);
    return ref.panel;
  }

  /** Resolves when every chart is drawn (tests and screenshots wait on it). */
  whenRendered(): Promise<Rendered> {
    return this.host.latestOr('rendered');
  }

  /** Does what the drill-down's clicks do: a comparison, then a query of it, then a pair (see the protocol). */
  drill(params: { comparison: string; qid?: string; pid?: string }) {
    return this.host.request('drill', params);
  }

  /** Does what a chart's Save PNG / Save SVG button does; resolves with the file written. */
  async exportChart(id: string, format: 'png' | 'svg'): Promise<string> {
    return (await this.host.request('exportChart', { id, format })).file;
  }
}
