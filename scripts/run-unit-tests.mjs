// Runs every test/unit/**/*.test.ts with node's own test runner (through tsx), optionally under c8 coverage.
// Node 20's --test does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scratchTmp } from './lib/scratch-tmp.mjs';

const root = new URL('..', import.meta.url).pathname;
const coverage = process.argv.includes('--coverage');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const files = walk(join(root, 'test', 'unit'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no unit test files matched');
  process.exit(1);
}
const tapFile = process.env.RANKLENS_TAP_FILE;
const reporters = tapFile
  ? [
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
    ]
  : ['--test-reporter=spec'];
const nodeArgs = ['--import', 'tsx', '--test', ...reporters, ...files];
const [cmd, args] = coverage
  ? [
      process.execPath,
      [
        join(root, 'node_modules', 'c8', 'bin', 'c8.js'),
        '--include=src/core/**',
        '--reporter=text-summary',
        '--reporter=html',
        '--reports-dir=coverage',
        process.execPath,
        ...nodeArgs,
      ],
    ]
  : [process.execPath, nodeArgs];
const scratch = scratchTmp('unit');
const r = spawnSync(cmd, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...scratch.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' },
});
scratch.remove();
process.exit(r.status ?? 1);
