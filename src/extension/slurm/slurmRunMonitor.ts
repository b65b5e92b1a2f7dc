import * as vscode from 'vscode';
import {
  SlurmCommands,
  cancelClusterRun,
  clusterRunStatus,
  formatRunStatus,
  resumeClusterRun,
  type ClusterRunStatus,
} from '../../core/cluster';

/** Called once with result.json when the merge job has written it (e.g. to open the report panel). */
export type OnMerged = (resultFile: string, status: ClusterRunStatus) => unknown;

/**
 * Follows one Slurm run of an analysis: a status-bar item and a notification show shards done / total (from
 * squeue/sacct and the partial files, polled), Cancel in the notification scancels the shards and the merge job,
 * a failed shard offers Resume, and `onMerged` runs when the result is there.
 */
export class SlurmRunMonitor implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private stopped = false;
  private last: ClusterRunStatus | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly resultDir: string,
    private readonly slurm: SlurmCommands,
    private readonly log: vscode.OutputChannel,
    private readonly pollMs: number,
    private readonly onMerged: OnMerged,
    private readonly onEnd: (monitor: SlurmRunMonitor) => void,
  ) {
    this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.item.command = { command: 'ranklens.showSlurmRun', title: 'Show Slurm Run', arguments: [resultDir] };
    this.item.text = '$(server-process) RankLens: submitted';
    this.item.show();
  }

  /** Polls until the result is merged, a job fails, or the user cancels; then asks what to do next. */
  async follow(): Promise<void> {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'RankLens on Slurm', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => this.wake?.());
        let reported = 0;
        while (!this.stopped && !token.isCancellationRequested) {
          const status = await this.poll();
          if (status) {
            const { done } = status.counts;
            const total = status.record.shards;
            progress.report({
              message: `${status.record.analysis}: ${done}/${total} shards done${status.counts.failed ? `, ${status.counts.failed} failed` : ''}`,
              increment: ((done - reported) / total) * 100,
            });
            reported = done;
            if (status.result) return 'merged';
            if (status.counts.failed > 0 || status.merge.phase === 'failed') return 'failed';
          }
          await this.sleep(this.pollMs);
        }
        return token.isCancellationRequested ? 'cancel' : 'stopped';
      },
    );
    if (outcome === 'cancel') {
      const cancelled = await cancelClusterRun(this.resultDir, this.slurm);
      this.log.appendLine(`scancel ${cancelled.join(' ')} (${this.resultDir})`);
      this.item.text = '$(circle-slash) RankLens: Slurm run cancelled';
      void vscode.window.showInformationMessage(
        `RankLens: cancelled ${cancelled.length} Slurm job${cancelled.length === 1 ? '' : 's'} (${cancelled.join(', ') || 'none were still running'}).`,
      );
      this.end();
    } else if (outcome === 'merged' && this.last?.result) {
      this.item.text = `$(check) RankLens: ${this.last.record.analysis} merged`;
      this.end();
      await this.onMerged(this.last.result, this.last);
    } else if (outcome === 'failed' && this.last) {
      const failed = this.last.shards.filter((s) => s.phase === 'failed');
      const what =
        failed.length > 0
          ? `shard${failed.length === 1 ? '' : 's'} ${failed.map((s) => `${s.shard} (${s.slurmState ?? 'no partial'})`).join(', ')} failed`
          : `the merge job failed (${this.last.merge.slurmState ?? 'no result'})`;
      this.item.text = `$(error) RankLens: ${this.last.record.analysis} ${this.last.counts.done}/${this.last.record.shards}, failed`;
      const choice = await vscode.window.showWarningMessage(
        `RankLens: ${this.last.record.analysis} on Slurm: ${what}. Logs: ${this.resultDir}/slurm/logs`,
        'Resume',
        'Show Status',
      );
      if (choice === 'Resume') {
        const resumed = await resumeClusterRun(this.resultDir, this.slurm);
        this.log.appendLine(`resume ${this.resultDir}: ${JSON.stringify(resumed)}`);
        await this.follow();
        return;
      }
      if (choice === 'Show Status') this.show();
      this.end();
    }
  }

  /** The `ranklens jobs` view of the run, in the RankLens output channel. */
  show(): void {
    if (this.last) this.log.appendLine(formatRunStatus(this.last));
    this.log.show(true);
  }

  dispose(): void {
    this.stopped = true;
    this.wake?.();
    this.item.dispose();
  }

  private end(): void {
    this.stopped = true;
    this.onEnd(this);
    // The final state stays readable in the status bar for a while.
    setTimeout(() => this.item.dispose(), 60_000);
  }

  private async poll(): Promise<ClusterRunStatus | undefined> {
    try {
      this.last = await clusterRunStatus(this.resultDir, this.slurm);
      const { done, running, pending, failed } = this.last.counts;
      this.item.text = `$(server-process) RankLens: ${this.last.record.analysis} ${done}/${this.last.record.shards}`;
      this.item.tooltip = `${done} done, ${running} running, ${pending} pending, ${failed} failed; merge job ${this.last.merge.jobId}: ${this.last.merge.phase}\n${this.resultDir}`;
      return this.last;
    } catch (error) {
      // A slow or briefly unreachable controller must not end the watch: say so and poll again.
      this.item.text = '$(warning) RankLens: Slurm not answering';
      this.log.appendLine(
        `polling ${this.resultDir}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
