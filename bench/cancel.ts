// How long a one-pair call waits after cancelling a large batch in the worker, for the two ways of freeing
// the worker: waiting for the next batch boundary (cancelGraceMs Infinity; smaller batches shorten the
// wait), retiring the busy worker and loading the model in a fresh one (spareIdleMs 0), or retiring it and
// promoting the warm spare the long call started (the default; cancelled either before the spare has
// loaded, or after; RSS grows by the spare's copy of the model). Also the cost of
// the graph cache's checks: hashing the checkpoint the first time, remembered afterwards, and verifying a
// cached graph. Run: node --import tsx bench/cancel.ts
// Env: BENCH_MODEL (existing checkpoint folder; default a generated BERT-base shape), BENCH_PAIRS (64),
// BENCH_SEQ (256), BENCH_THREADS (2), BENCH_CANCEL_AFTER_MS (200), BENCH_ONLY (substring of the run labels).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint, BERT_BASE_SHAPE } from '../test/support/checkpoints';
import { syntheticPair } from '../test/support/model-fixtures';
import { ensureBertGraphFile, hashMemoDirOf } from '../src/core/bert/cache';
import { openBertCheckpoint } from '../src/core/model/checkpoint';
import { RankerWorkerClient, type WorkerClientOptions } from '../src/core/runtime/worker-client';

const pairsCount = Number(process.env.BENCH_PAIRS ?? 64);
const seq = Number(process.env.BENCH_SEQ ?? 256);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const cancelAfter = Number(process.env.BENCH_CANCEL_AFTER_MS ?? 200);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function measure(
  modelDir: string,
  cacheDir: string,
  label: string,
  batchSize: number,
  workerOptions: WorkerClientOptions,
  cancelWhenSpareReady = false,
): Promise<void> {
  const vocab = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')).vocab_size as number;
  const long = syntheticPair(20, seq - 23, vocab, 1);
  const short = syntheticPair(5, 30, vocab, 2);
  let t0 = performance.now();
  const client = await RankerWorkerClient.load(modelDir, { threads, cacheDir, batchSize }, workerOptions);
  const loadMs = performance.now() - t0;
  try {
    await client.score([long]); // times a batch, as a real session would have before its first cancel
    t0 = performance.now();
    await client.score([short]);
    const shortMs = performance.now() - t0;
    const controller = new AbortController();
    const rssBefore = process.memoryUsage().rss;
    const big = client.score(
      Array.from({ length: pairsCount }, () => long),
      { signal: controller.signal },
    );
    big.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, cancelAfter));
    let spareNote = '';
    if (cancelWhenSpareReady) {
      const s0 = performance.now();
      const ready = await client.whenSpareReady();
      const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      spareNote = `; spare ${ready ? 'ready' : 'MISSING'} ${sec(performance.now() - s0 + cancelAfter)} after the call, RSS +${grown.toFixed(0)} MB`;
    }
    const t = performance.now();
    controller.abort();
    await big.catch(() => undefined);
    const rejected = performance.now() - t;
    await client.score([short]);
    const answered = performance.now() - t;
    console.log(
      `${label.padEnd(44)} load ${sec(loadMs)}, one short pair ${sec(shortMs)}; cancel rejected in ${sec(rejected)}, ` +
        `next one-pair call answered after ${sec(answered)} (worker replaced ${client.forcedRestarts}x, ` +
        `by the spare ${client.spareSwaps}x${spareNote})`,
    );
  } finally {
    const t = performance.now();
    await client.dispose();
    console.log(
      `${''.padEnd(44)} dispose (waits for a retired worker's batch): ${sec(performance.now() - t)}`,
    );
  }
}

/**
 * The spare's own memory: RSS once it has loaded beside an idle active worker, minus RSS before (a
 * two-pair call of short pairs starts it, so activations add little).
 */
async function spareMemory(modelDir: string, cacheDir: string, workerOptions: WorkerClientOptions) {
  const vocab = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')).vocab_size as number;
  const short = syntheticPair(5, 30, vocab, 2);
  // Without a spare first: RSS rarely shrinks after a dispose, so the other order would hide the spare.
  const reference = await RankerWorkerClient.load(
    modelDir,
    { threads, cacheDir },
    { ...workerOptions, spareIdleMs: 0 },
  );
  await reference.score([short, short], { batchSize: 2 });
  const without = process.memoryUsage().rss;
  await reference.dispose();
  const client = await RankerWorkerClient.load(modelDir, { threads, cacheDir }, workerOptions);
  try {
    await client.score([short, short], { batchSize: 2 });
    await client.whenSpareReady();
    const withSpare = process.memoryUsage().rss;
    console.log(
      `spare memory: RSS ${(without / 2 ** 20).toFixed(0)} MB without a spare, ${(withSpare / 2 ** 20).toFixed(0)} MB ` +
        `with a loaded one (same calls, after): +${((withSpare - without) / 2 ** 20).toFixed(0)} MB`,
    );
  } finally {
    await client.dispose();
  }
}

async function main() {
  const root = tempDir('bench-cancel');
  try {
    const given = process.env.BENCH_MODEL;
    const modelDir = given ? path.resolve(given) : path.join(root, 'model');
    if (!given) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--generate', modelDir], {
        stdio: 'inherit',
      });
      if (child.status !== 0) throw new Error(`checkpoint generation failed (${child.status})`);
    }
    const bytes = fs.statSync(path.join(modelDir, 'model.safetensors')).size;
    console.log(
      `checkpoint: ${given ?? 'BERT-base shape'}, ${(bytes / 2 ** 20).toFixed(0)} MB; ${pairsCount} pairs of ${seq} tokens, cancel after ${cancelAfter} ms, ${threads} threads`,
    );
    const cacheDir = path.join(root, 'cache');
    let t = performance.now();
    const first = openBertCheckpoint(modelDir, { hashMemoDir: hashMemoDirOf(cacheDir) });
    void first.fingerprint;
    console.log(`fingerprint, first open (full sha256):          ${sec(performance.now() - t)}`);
    t = performance.now();
    void openBertCheckpoint(modelDir, { hashMemoDir: hashMemoDirOf(cacheDir) }).fingerprint;
    console.log(`fingerprint, remembered:                         ${sec(performance.now() - t)}`);
    t = performance.now();
    const graph = ensureBertGraphFile(first, 'score', cacheDir);
    console.log(`graph build + hash + manifest:                   ${sec(performance.now() - t)}`);
    fs.utimesSync(graph, new Date(), new Date()); // forces the full re-hash of the cached graph
    t = performance.now();
    ensureBertGraphFile(first, 'score', cacheDir);
    console.log(`cached graph verified by full re-hash:           ${sec(performance.now() - t)}`);
    t = performance.now();
    ensureBertGraphFile(first, 'score', cacheDir);
    console.log(`cached graph verified by its recorded stat:      ${sec(performance.now() - t)}`);

    // The bundled worker, as the extension runs it (from source, tsx would add seconds to every start).
    const bundled = path.join(__dirname, '..', 'out', 'ranker-worker.js');
    const workerPath = fs.existsSync(bundled) ? bundled : undefined;
    console.log(`worker: ${workerPath ?? 'from source (run npm run build for the bundled one)'}`);
    const noSpare = { spareIdleMs: 0 };
    const runs: [string, number, WorkerClientOptions, boolean?][] = [
      ['wait for batch boundary, batch 16', 16, { cancelGraceMs: Infinity, ...noSpare }],
      ['wait for batch boundary, batch 1', 1, { cancelGraceMs: Infinity, ...noSpare }],
      ['always retire + fresh worker, batch 16', 16, { cancelGraceMs: 0, ...noSpare }],
      ['adaptive, no spare, batch 16', 16, noSpare],
      ['adaptive, no spare, batch 1', 1, noSpare],
      ['spare (default), batch 16, cancel at once', 16, {}],
      ['spare (default), batch 16, cancel when ready', 16, {}, true],
    ];
    const only = process.env.BENCH_ONLY;
    if (!only || 'spare memory'.includes(only)) await spareMemory(modelDir, cacheDir, { workerPath });
    for (const [label, batchSize, options, whenReady] of runs) {
      if (only && !label.includes(only)) continue;
      await measure(modelDir, cacheDir, label, batchSize, { ...options, workerPath }, whenReady);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--generate') writeRandomCheckpoint(process.argv[3], BERT_BASE_SHAPE);
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
