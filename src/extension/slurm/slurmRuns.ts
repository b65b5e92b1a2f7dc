import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  SlurmCommands,
  cancelClusterRun,
  clusterRunStatus,
  formatRunStatus,
  submitClusterAnalysis,
  type SlurmResources,
  type SubmittedRun,
} from '../../core/cluster';
import { SlurmRunMonitor, type OnMerged } from './slurmRunMonitor';

/** An analysis as `ranklens analyze` takes it, for a Slurm run. */
export interface SlurmAnalysisRequest {
  /** `ranklens analyze` analysis name (rerank, attention, period-mask, ...). */
  readonly analysis: string;
  /** Its options as on the command line (absolute paths), without --out, --shard or --slurm. */
  readonly analyzeArgs: readonly string[];
  /** The result folder (e.g. under .ranklens/analyses/): partials, result.json, slurm/ with scripts and logs. */
  readonly resultDir: string;
}

const LAST_CHOICES = 'ranklens.slurm.lastChoices';

interface Choices {
  readonly shards: number;
  readonly partition?: string;
  readonly gres?: string;
  readonly time?: string;
}

/**
 * "Run on Slurm…" for the analysis commands. Supported: a machine where `sbatch` is on PATH (a cluster's login
 * node, e.g. through VS Code Remote-SSH, or a workstation with slurm-client and SLURM_CONF); the shards run this
 * extension's own CLI (bin/ranklens.js) with `node` (setting ranklens.slurm.node), so the extension folder, the
 * model and the data must be on a file system the compute nodes share. No ssh to a separate login host.
 */
export class SlurmRuns implements vscode.Disposable {
  private readonly monitors = new Set<SlurmRunMonitor>();
  private readonly slurm = new SlurmCommands(process.env);

  constructor(
    private readonly extensionPath: string,
    private readonly state: vscode.Memento,
    private readonly log: vscode.OutputChannel,
  ) {}

  /** Whether this machine can submit Slurm jobs. */
  available(): boolean {
    return this.slurm.which('sbatch') !== undefined;
  }

  /** Asks where to run an analysis: here without asking when Slurm is not available. */
  async pickWhereToRun(title: string): Promise<'here' | 'slurm' | undefined> {
    if (!this.available()) return 'here';
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Run here', description: 'in this window, with progress', where: 'here' as const },
        {
          label: 'Run on Slurm…',
          description: 'an array job of shards plus a merge job; returns at once',
          where: 'slurm' as const,
        },
      ],
      { title, placeHolder: 'Where should the analysis run?' },
    );
    return pick?.where;
  }

  /** Asks for shards, partition, GPU and time limit, submits, and follows the run. Undefined when dismissed. */
  async submit(request: SlurmAnalysisRequest, onMerged: OnMerged): Promise<SubmittedRun | undefined> {
    const choices = await this.askChoices();
    if (!choices) return undefined;
    const resources: SlurmResources = {
      partition: choices.partition,
      gres: choices.gres,
      time: choices.time,
      cpusPerTask: 1,
      sbatchArgs: [],
      setup: [],
    };
    // A shard given a GPU runs on it; without one it uses its single CPU.
    const deviceArgs = choices.gres?.startsWith('gpu') ? ['--device', 'cuda'] : [];
    const config = vscode.workspace.getConfiguration('ranklens.slurm');
    const node = config.get<string>('node') || 'node';
    const submitted = await submitClusterAnalysis(
      {
        analysis: request.analysis,
        analyzeArgs: [...request.analyzeArgs, ...deviceArgs, '--threads', '1'],
        resultDir: request.resultDir,
        shards: choices.shards,
        command: [node, path.join(this.extensionPath, 'bin', 'ranklens.js')],
        workDir: request.resultDir,
        resources,
      },
      this.slurm,
    );
    this.log.appendLine(
      `submitted ${request.analysis}: array job ${submitted.arrayJobId}, merge job ${submitted.mergeJobId}, ${submitted.shardScript}`,
    );
    void vscode.window.showInformationMessage(
      `RankLens: ${request.analysis} submitted to Slurm as ${choices.shards} shards (array job ${submitted.arrayJobId}, merge job ${submitted.mergeJobId}).`,
    );
    this.follow(request.resultDir, onMerged);
    return submitted;
  }

  /** Follows a run (e.g. one submitted from the command line or before a reload). */
  follow(resultDir: string, onMerged: OnMerged): SlurmRunMonitor {
    const poll = vscode.workspace.getConfiguration('ranklens.slurm').get<number>('pollSeconds') ?? 10;
    const monitor = new SlurmRunMonitor(
      resultDir,
      this.slurm,
      this.log,
      Math.max(1, poll) * 1000,
      onMerged,
      (m) => this.monitors.delete(m),
    );
    this.monitors.add(monitor);
    void monitor.follow().catch((error: unknown) => {
      this.log.appendLine(
        `following ${resultDir}: ${error instanceof Error ? error.message : String(error)}`,
      );
      void vscode.window.showErrorMessage(
        `RankLens: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return monitor;
  }

  /** The `ranklens jobs` view of a run, in the RankLens output channel. */
  async show(resultDir: string): Promise<void> {
    this.log.appendLine(formatRunStatus(await clusterRunStatus(resultDir, this.slurm)));
    this.log.show(true);
  }

  /** scancel of the run's shards and merge job that are still pending or running. */
  async cancel(resultDir: string): Promise<string[]> {
    for (const m of this.monitors) if (m.resultDir === resultDir) m.dispose();
    const cancelled = await cancelClusterRun(resultDir, this.slurm);
    void vscode.window.showInformationMessage(
      cancelled.length > 0
        ? `RankLens: cancelled Slurm jobs ${cancelled.join(', ')}.`
        : 'RankLens: no job of this run is pending or running.',
    );
    return cancelled;
  }

  dispose(): void {
    for (const m of this.monitors) m.dispose();
    this.monitors.clear();
  }

  private async askChoices(): Promise<Choices | undefined> {
    const last = this.state.get<Choices>(LAST_CHOICES) ?? { shards: 4 };
    const shardsText = await vscode.window.showInputBox({
      title: 'Run on Slurm: shards',
      prompt: 'Number of shards (array tasks); each runs a slice of the queries',
      value: String(last.shards),
      validateInput: (v) => (/^[1-9]\d*$/.test(v.trim()) ? undefined : 'a positive integer'),
    });
    if (shardsText === undefined) return undefined;
    const partitions = await this.slurm.partitions();
    const partitionPick = await vscode.window.showQuickPick(
      [
        { label: '(cluster default)', partition: undefined },
        ...partitions.map((p) => ({ label: p, partition: p })),
      ],
      { title: 'Run on Slurm: partition', placeHolder: last.partition ?? '(cluster default)' },
    );
    if (!partitionPick) return undefined;
    const partition = partitionPick.partition;
    const offersGpu = (await this.slurm.partitionGres(partition)).some((g) => g.startsWith('gpu'));
    let gres: string | undefined;
    if (offersGpu) {
      const gpuPick = await vscode.window.showQuickPick(
        [
          { label: 'CPU only', gres: undefined },
          { label: 'One GPU per shard (--gres gpu:1, --device cuda)', gres: 'gpu:1' },
        ],
        { title: 'Run on Slurm: GPU' },
      );
      if (!gpuPick) return undefined;
      gres = gpuPick.gres;
    }
    const time = await vscode.window.showInputBox({
      title: 'Run on Slurm: time limit per job',
      prompt: "Slurm's --time (e.g. 2:00:00); empty for the partition's default",
      value: last.time ?? '',
    });
    if (time === undefined) return undefined;
    const choices: Choices = {
      shards: Number(shardsText.trim()),
      partition,
      gres,
      time: time.trim() || undefined,
    };
    await this.state.update(LAST_CHOICES, choices);
    return choices;
  }
}
