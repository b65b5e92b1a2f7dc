// The project's Python environment (.venv, made by scripts/setup-python.sh, which `npm test` runs first): the
// independent references of the cross-checks (PyTorch, Hugging Face transformers and tokenizers, SciPy).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const venvPython = path.join(root, '.venv', 'bin', 'python');

function canImport(python: string, modules: string): boolean {
  return spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
}

const hasTransformers = canImport(venvPython, 'torch, transformers, tokenizers, scipy');

/**
 * node:test's `skip` for a cross-check that needs the venv: a reason when it is missing — except under
 * RANKLENS_REQUIRE_TORCH=1 (CI and `npm test`), where a missing reference fails rather than passes as a skip.
 */
export function skipWithoutProjectPython(): false | string {
  if (hasTransformers || process.env.RANKLENS_REQUIRE_TORCH === '1') return false;
  return 'no .venv with torch and transformers (run scripts/setup-python.sh)';
}

/** The venv's python, with HF's hub kept offline; throws, naming the fix, when the venv is missing. */
export function projectPython(): string {
  if (hasTransformers) return venvPython;
  throw new Error(
    `${venvPython} cannot import torch, transformers, tokenizers and scipy: run scripts/setup-python.sh`,
  );
}

/** Runs a reference script with JSON on stdin and returns its parsed stdout. */
export function runReference<T>(script: string, request: unknown): T {
  const result = spawnSync(projectPython(), [script], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1024 * 2 ** 20,
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  if (result.status !== 0) throw new Error(`${path.basename(script)} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
