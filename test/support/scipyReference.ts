// SciPy in the project's venv (.venv, made by scripts/setup-python.sh): the independent reference of the
// statistics tests.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const venvPython = path.join(root, '.venv', 'bin', 'python');
const hasScipy = spawnSync(venvPython, ['-c', 'import scipy, numpy'], { stdio: 'ignore' }).status === 0;

/**
 * node:test's `skip` for a SciPy cross-check: a reason when the venv lacks SciPy — except under
 * RANKLENS_REQUIRE_TORCH=1 (CI and `npm test`), where a missing reference fails rather than passes as a skip.
 */
export function skipWithoutScipy(): false | string {
  if (hasScipy || process.env.RANKLENS_REQUIRE_TORCH === '1') return false;
  return `${venvPython} cannot import scipy and numpy (run scripts/setup-python.sh)`;
}

/** Runs test/reference/<script> with JSON on stdin and returns its parsed stdout. */
export function runScipyReference<T>(script: string, request: unknown): T {
  if (!hasScipy) throw new Error(`${venvPython} cannot import scipy: run scripts/setup-python.sh`);
  const result = spawnSync(venvPython, [path.join(root, 'test', 'reference', script)], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
