import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/** Worker entry to use when none is given: ranker-worker.js beside this bundle, or entry.ts from source. */
export function defaultWorkerPath(): string {
  const source = path.join(__dirname, 'entry.ts');
  if (fs.existsSync(source)) return source;
  return path.join(__dirname, 'ranker-worker.js');
}

/** Starts a worker thread on `workerPath`, a bundle or (tests, tsx) a TypeScript entry. */
export function spawnWorker(workerPath: string, resourceLimits?: ResourceLimits): Worker {
  if (workerPath.endsWith('.ts')) {
    // From source (tests, tsx): register tsx's CommonJS hook inside the worker first.
    const code =
      `require(require.resolve('tsx/cjs/api', { paths: [${JSON.stringify(process.cwd())}, ${JSON.stringify(path.dirname(workerPath))}] })).register();` +
      `require(${JSON.stringify(workerPath)});`;
    return new Worker(code, { eval: true, resourceLimits });
  }
  return new Worker(workerPath, { resourceLimits });
}
