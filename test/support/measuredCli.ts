import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';
import { tempDir } from './tempFiles';

export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  /** Wall-clock time of the whole child process (including tsx's start-up). */
  readonly seconds: number;
  /** The child's peak resident memory as the child itself reported it on exit. */
  readonly maxRssMiB: number;
}

/**
 * Runs `ranklens ARGS` from source in a child process, its stdout a pipe as in `ranklens ... | wc -c`,
 * and measures its wall time and peak memory.
 */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  /** The child is killed after this long (a hang is a failure, never a stuck test run): code null. */
  limitSeconds = 300,
): Promise<CliRun> {
  const usageFile = path.join(tempDir('usage'), 'usage.json');
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(__dirname, 'reportUsage.cjs'),
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'src', 'cli', 'main.ts'),
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env, RANKLENS_USAGE_FILE: usageFile }, stdio: 'pipe' },
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const usage = fs.existsSync(usageFile)
        ? (JSON.parse(fs.readFileSync(usageFile, 'utf8')) as { maxRssKiB: number })
        : { maxRssKiB: NaN };
      resolve({
        code,
        out: Buffer.concat(out).toString('utf8'),
        err: Buffer.concat(err).toString('utf8'),
        seconds,
        maxRssMiB: usage.maxRssKiB / 1024,
      });
    });
  });
}

/** Files larger than this (sparse test files of 100 GB) are compared by size and mtime only. */
const HASHED_BYTES = 256 * 1024 * 1024;

/** sha256 of every file under `root` (relative path -> hash), to prove a command changed nothing there. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const { size, mtimeMs } = fs.statSync(p);
        out.set(
          path.relative(root, p),
          size > HASHED_BYTES
            ? `${size} bytes, mtime ${mtimeMs}`
            : crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),
        );
      } else out.set(path.relative(root, p), entry.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : 'special');
    }
  };
  walk(root);
  return out;
}
