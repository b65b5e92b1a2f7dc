// A real one-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's packages, on a private
// configuration in a temporary folder (own key, socket, ports, state and spool folders), stopped by pid at the end.
// Jobs are submitted with `env` (SLURM_CONF points at the private slurm.conf), so the machine's own Slurm
// configuration, if any, is neither used nor touched.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

export interface SlurmCluster {
  /** process.env plus SLURM_CONF for this cluster: pass it to the CLI and to SlurmCommands. */
  readonly env: NodeJS.ProcessEnv;
  readonly partition: string;
  readonly dir: string;
  /** Slurm's and munged's logs, for a failing test's message. */
  logs(): string;
  /** Cancels every job, stops the daemons by pid and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

const PROGRAMS = ['sbatch', 'squeue', 'sinfo', 'scancel', 'slurmctld', 'slurmd', 'munged'];

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why the real-Slurm tests cannot run here, or undefined when they can. Installs Slurm through the project's own
 * scripts/setup-slurm.sh first where it is missing; only a machine without root (the daemons need it) or without
 * apt is a reason to skip, and a failing install is not one.
 */
export function slurmUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the real-Slurm tests need Linux';
  if (process.getuid?.() !== 0) return 'not root: slurmctld, slurmd and munged need root to start';
  if (PROGRAMS.every(onPath)) return undefined;
  if (!onPath('apt-get')) return 'Slurm is not installed and apt-get is not available to install it';
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-slurm.sh')], { encoding: 'utf8' });
  if (r.status !== 0 || !PROGRAMS.every(onPath))
    throw new Error(`scripts/setup-slurm.sh did not install Slurm:\n${r.stderr}`);
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `slurmd -C` prints this machine's node line (real CPUs, sockets, memory) and an UpTime line we drop. */
function nodeLine(): string {
  const out = execFileSync('slurmd', ['-C'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('NodeName='));
  if (!line) throw new Error(`slurmd -C printed no NodeName line:\n${out}`);
  return line.trim();
}

function accountOf(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })),
  };
}

async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-slurm-'));
  fs.chmodSync(dir, 0o755);
  const mungeDir = path.join(dir, 'munge');
  const logDir = path.join(dir, 'log');
  for (const d of [mungeDir, logDir, path.join(dir, 'state'), path.join(dir, 'spool')]) fs.mkdirSync(d);
  const munge = accountOf('munge');
  const key = path.join(mungeDir, 'munge.key');
  fs.writeFileSync(key, randomBytes(128), { mode: 0o400 });
  fs.chownSync(mungeDir, munge.uid, munge.gid);
  fs.chownSync(key, munge.uid, munge.gid);
  // munged refuses a socket folder others cannot enter.
  fs.chmodSync(mungeDir, 0o755);
  const socket = path.join(mungeDir, 'munge.socket');

  const host = os.hostname().split('.')[0];
  const [controllerPort, nodePort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=ranklens-test',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${controllerPort}`,
      `SlurmdPort=${nodePort}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${logDir}/slurmctld.log`,
      `SlurmdLogFile=${logDir}/slurmd.log`,
      'MailProg=/bin/true',
      'SwitchType=switch/none',
      'MpiDefault=none',
      // No cgroups: the tests run where systemd and cgroup delegation may be absent.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'ReturnToService=2',
      'SchedulerType=sched/backfill',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      // A cancelled job gets SIGKILL 2 s after SIGTERM instead of Slurm's default 30 s.
      'KillWait=2',
      // Finished jobs stay visible to squeue for 10 minutes (the whole test), as on most clusters.
      'MinJobAge=600',
      `${nodeLine()} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const start = (program: string, args: string[], options: { uid?: number; gid?: number } = {}) => {
    const out = fs.openSync(path.join(logDir, `${program}.out`), 'a');
    const child = spawn(program, args, { env, stdio: ['ignore', out, out], ...options });
    fs.closeSync(out);
    child.unref();
    children.push(child);
    return child;
  };
  const logs = () =>
    fs
      .readdirSync(logDir)
      .map(
        (f) => `--- ${f}\n${fs.readFileSync(path.join(logDir, f), 'utf8').split('\n').slice(-15).join('\n')}`,
      )
      .join('\n');
  // If the test process dies without running stop(), the daemons still go with it.
  const killAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', killAll);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const user = os.userInfo().username;
    spawnSync('scancel', ['-u', user], { env });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const q = spawnSync('squeue', ['-h', '-u', user, '-t', 'PENDING,RUNNING,COMPLETING'], {
        env,
        encoding: 'utf8',
      });
      if (q.status !== 0 || q.stdout.trim() === '') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const child of [...children].reverse()) {
      if (child.exitCode === null) child.kill('SIGTERM');
      await waitForExit(child, 5_000);
    }
    process.removeListener('exit', killAll);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    start(
      'munged',
      [
        '--foreground',
        `--socket=${socket}`,
        `--key-file=${key}`,
        `--pid-file=${mungeDir}/munged.pid`,
        `--seed-file=${mungeDir}/munged.seed`,
        `--log-file=${logDir}/munged.log`,
      ],
      munge,
    );
    await waitFor('munged did not open its socket', () => fs.existsSync(socket), 10_000, logs);
    start('slurmctld', ['-D']);
    start('slurmd', ['-D']);
    await waitFor(
      'the node did not become idle',
      () => {
        const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' });
        return r.status === 0 && r.stdout.trim() === 'idle';
      },
      30_000,
      logs,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, partition: 'debug', dir, logs, stop };
}
