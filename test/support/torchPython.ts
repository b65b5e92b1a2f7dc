// The independent reference of the PyTorch cross-checks: a python3 that can import torch.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// The project's venv first (scripts/setup-python.sh); then Debian's python3-torch under /usr/bin/python3, which a
// pyenv shim may hide.
const venvPython = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
const found = [venvPython, '/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);

/**
 * node:test's `skip` for a cross-check: a reason when no python3 has torch — except under
 * RANKLENS_REQUIRE_TORCH=1 (CI), where a missing reference must fail rather than pass as a skip.
 */
export function skipWithoutTorch(): false | string {
  if (found || process.env.RANKLENS_REQUIRE_TORCH === '1') return false;
  return 'no python with torch (scripts/setup-python.sh makes the venv)';
}

/** The python3 to run the reference with; throws, naming the fix, when there is none. */
export function torchPython(): string {
  if (found) return found;
  throw new Error(
    'neither .venv/bin/python, /usr/bin/python3 nor python3 can import torch: run scripts/setup-python.sh',
  );
}
