// npm run bench [name …]: runs the named benchmarks (default: all), each in its own process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const available: Record<string, string[]> = {
  indexing: ['indexing.ts', '1024'],
  model: ['model.ts'],
  'model-bundled': ['model.ts'],
  attribution: ['attribution.ts'],
  'attribution-worker': ['attribution-worker.ts'],
  cancel: ['cancel.ts'],
  slurm: ['slurm.ts'],
  runs: ['runs.ts', '10000000'],
  analysis: ['analysis.ts'],
  'attribution-probing': ['attributionProbing.ts', '6'],
  'what-if-maps': ['whatIfMaps.ts'],
  peers: ['peers.ts'],
  report: ['report.ts'],
};
// Names first, then options passed to each chosen benchmark: npm run bench -- peers --pairs 64.
const firstOption = process.argv.slice(2).findIndex((a) => a.startsWith('--'));
const names = firstOption < 0 ? process.argv.slice(2) : process.argv.slice(2, 2 + firstOption);
const options = firstOption < 0 ? [] : process.argv.slice(2 + firstOption);
const chosen = names.length > 0 ? names : Object.keys(available);
let failed = 0;
for (const name of chosen) {
  const spec = available[name];
  if (!spec || !existsSync(path.join(__dirname, spec[0]))) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(available).join(', ')}`);
    failed++;
    continue;
  }
  console.log(`\n== ${name} ==`);
  const bundled = path.join(__dirname, '..', 'models', 'ranklens-mini');
  const env = name === 'model-bundled' ? { ...process.env, BENCH_MODEL: bundled } : process.env;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, spec[0]), ...spec.slice(1), ...options],
    { stdio: 'inherit', env },
  );
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
