import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterError } from './clusterError';
import { SQUEUE_FORMAT, outputLines, parseSacct, parseSqueue, type SlurmJobRecord } from './slurmState';

const COMMAND_TIMEOUT_MS = 60_000;

interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Slurm's user commands (sbatch, sinfo, squeue, sacct, scancel), run as programs found on PATH with the given
 * environment (SLURM_CONF picks a cluster). Each failure becomes a ClusterError with Slurm's own message.
 */
export class SlurmCommands {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The full path of `program` on this environment's PATH, if any. */
  which(program: string): string | undefined {
    for (const dir of (this.env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, program);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }

  requireSbatch(): void {
    if (!this.which('sbatch'))
      throw new ClusterError(
        'sbatch is not on PATH: run this on a Slurm login node (or install slurm-client and set SLURM_CONF)',
      );
  }

  /** Names of the partitions the cluster has. */
  async partitions(): Promise<string[]> {
    const out = await this.checked('sinfo', ['-h', '-o', '%R']);
    return [...new Set(outputLines(out))];
  }

  /** The generic resources (`gpu:a100:4(S:0-1)`, ...) the nodes of a partition offer. */
  async partitionGres(partition: string | undefined): Promise<string[]> {
    const out = await this.checked('sinfo', ['-h', ...(partition ? ['-p', partition] : []), '-o', '%G']);
    return out
      .split('\n')
      .flatMap((l) => l.trim().split(','))
      .filter((g) => g.length > 0 && g !== '(null)');
  }

  /** `sbatch --test-only`: checks a script and its options against the cluster without submitting anything. */
  async testSubmission(script: string, args: readonly string[]): Promise<void> {
    await this.checked('sbatch', ['--test-only', ...args, script]);
  }

  /** Submits a batch script and returns its job id. */
  async submit(script: string, args: readonly string[]): Promise<string> {
    const out = await this.checked('sbatch', ['--parsable', ...args, script]);
    // --parsable prints "id" or "id;cluster".
    const id = out.trim().split(';')[0];
    if (!/^\d+$/.test(id))
      throw new ClusterError(`sbatch printed ${JSON.stringify(out.trim())}, expected a job id`);
    return id;
  }

  /** The user's jobs the controller still knows, array tasks one per line, finished ones included. */
  async queue(user: string): Promise<SlurmJobRecord[]> {
    const out = await this.checked('squeue', ['-h', '-r', '--states=all', '-u', user, '-o', SQUEUE_FORMAT]);
    return parseSqueue(out);
  }

  /** Jobs from the accounting database, or undefined where the cluster keeps no accounting. */
  async accounting(jobIds: readonly string[]): Promise<SlurmJobRecord[] | undefined> {
    if (jobIds.length === 0 || !this.which('sacct')) return undefined;
    const r = await this.run('sacct', ['-n', '-P', '-X', '-o', 'JobID,State', '-j', jobIds.join(',')]);
    return r.code === 0 ? parseSacct(r.stdout) : undefined;
  }

  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) await this.checked('scancel', [...jobIds]);
  }

  private async checked(program: string, args: readonly string[]): Promise<string> {
    const r = await this.run(program, args);
    if (r.code !== 0) {
      const message = (r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`).split('\n')[0];
      throw new ClusterError(`${program} failed: ${message}`);
    }
    return r.stdout;
  }

  private run(program: string, args: readonly string[]): Promise<CommandOutput> {
    return new Promise((resolve, reject) => {
      execFile(
        program,
        [...args],
        { env: this.env, timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(
              error.code === 'ENOENT'
                ? new ClusterError(`${program} is not on PATH: is this a Slurm login node?`)
                : new ClusterError(`${program} did not run: ${error.message}`),
            );
            return;
          }
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  }
}
