import * as vscode from 'vscode';
import { loadDataset, type Dataset, type DatasetFiles } from '../core/data';

/** Holds the dataset the user opened and tells the views when it changes. */
export class DatasetController implements vscode.Disposable {
  private current: Dataset | undefined;
  private lastFiles: DatasetFiles | undefined;
  private readonly changed = new vscode.EventEmitter<Dataset | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly indexDir: string,
    private readonly log: vscode.OutputChannel,
  ) {}

  get dataset(): Dataset | undefined {
    return this.current;
  }

  /** Loads with a cancellable progress notification; per-file errors are reported, the rest stays usable. */
  async open(files: DatasetFiles): Promise<Dataset | undefined> {
    const dataset = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'RankLens: opening dataset',
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let lastPercent = 0;
        return loadDataset(files, {
          indexDir: this.indexDir,
          signal: abort.signal,
          onProgress: (report) => {
            const percent = report.total ? Math.floor((100 * report.done) / report.total) : 0;
            progress.report({
              message: `${report.message ?? ''} ${report.total ? `${percent}%` : ''}`.trim(),
              increment: Math.max(0, percent - lastPercent),
            });
            lastPercent = percent;
          },
        });
      },
    );
    this.current = dataset;
    this.lastFiles = files;
    this.describe(dataset);
    this.changed.fire(dataset);
    return dataset;
  }

  async reload(): Promise<Dataset | undefined> {
    return this.lastFiles ? this.open(this.lastFiles) : undefined;
  }

  private describe(d: Dataset): void {
    const c = d.collection;
    this.log.appendLine(
      `dataset: ${c ? `${c.size} passages (${c.fromCache ? 'index from cache' : 'indexed now'}) from ${c.file}` : 'no collection'}; ` +
        `${d.queries.reduce((n, q) => n + q.texts.size, 0)} queries, ${d.qrels.reduce((n, q) => n + q.count, 0)} judgements, ${d.runs.length} run(s)`,
    );
    for (const issue of d.issues)
      this.log.appendLine(
        `${issue.severity ?? 'warning'}: ${issue.file}${issue.line ? `:${issue.line}` : ''}: ${issue.message}`,
      );
    for (const error of d.errors) this.log.appendLine(`error: ${error.message}`);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
