// How long a one-pair call waits after a cancel. The Ranker cuts its batches into onnxruntime calls of about
// maxRunFlops, and the worker answers a cancel between two calls, keeping its model ("cut"); a call that
// cannot be cut ("uncut": maxRunFlops Infinity, as one long pair of a big model would be) is left to the
// warm spare, which takes over once it has loaded (or at once if it has). Cases: a cancel while the spare is
// still loading, once it has loaded, two cancels 300 ms apart, a cancelled attribution, the first
// attribution after a swap with and without the spare's preloaded gradient model; the spare's memory with
// and without the gradient model; what cutting costs in throughput. Also the cost of the graph cache's
// checks. Run: node --import tsx bench/cancel.ts
// Env: BENCH_MODEL (existing checkpoint folder; default a generated BERT-base shape), BENCH_PAIRS (64),
// BENCH_SEQ (256), BENCH_THREADS (2), BENCH_CANCEL_AFTER_MS (200), BENCH_ONLY (substring of the case labels).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint, BERT_BASE_SHAPE } from '../test/support/checkpoints';
import { syntheticPair } from '../test/support/model-fixtures';
import { ensureBertGraphFile, hashMemoDirOf } from '../src/core/bert/cache';
import { openBertCheckpoint } from '../src/core/model/checkpoint';
import { loadPairEncoder } from '../src/core/runtime/text';
import type { RankerOptions } from '../src/core/runtime/types';
import type { WorkerClientOptions } from '../src/worker/client';
import { ObservedWorkerClient } from '../test/support/observedWorkerClient';
import type { AttributionPair } from '../src/protocol/worker';

const pairsCount = Number(process.env.BENCH_PAIRS ?? 64);
const seq = Number(process.env.BENCH_SEQ ?? 256);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const cancelAfter = Number(process.env.BENCH_CANCEL_AFTER_MS ?? 200);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

interface Setup {
  readonly modelDir: string;
  readonly cacheDir: string;
  readonly workerPath?: string;
  readonly long: ReturnType<typeof syntheticPair>;
  readonly short: ReturnType<typeof syntheticPair>;
  /** An encoded pair of about 100 tokens for attributions. */
  readonly igPair: AttributionPair;
}

/** What a case does before its cancel, and which call it cancels. */
interface Case {
  readonly label: string;
  readonly uncut?: boolean;
  /** Runs the call(s) to cancel; returns after the last cancel (the next one-pair call is timed from it). */
  cancel(client: ObservedWorkerClient, setup: Setup): Promise<string>;
}

/** Starts a long score call; the returned function cancels it and waits for its rejection. */
function longScore(client: ObservedWorkerClient, setup: Setup): () => Promise<void> {
  const controller = new AbortController();
  const call = client.score(
    Array.from({ length: pairsCount }, () => setup.long),
    { signal: controller.signal, batchSize: 16 },
  );
  call.catch(() => undefined);
  return async () => {
    controller.abort();
    await call.catch(() => undefined);
  };
}

/** A long score cancelled `cancelAfter` ms in (the spare is most likely still loading). */
async function cancelAfterDelay(client: ObservedWorkerClient, setup: Setup): Promise<string> {
  const stop = longScore(client, setup);
  await sleep(cancelAfter);
  const state = client.spareState;
  await stop();
  return `spare ${state} at the cancel`;
}

/** A long score cancelled once the spare has loaded. */
async function cancelOnceSpareLoaded(client: ObservedWorkerClient, setup: Setup): Promise<string> {
  const stop = longScore(client, setup);
  await client.whenSpareReady();
  await stop();
  return `spare ${client.spareState}`;
}

/** Starts an attribution of every layer and baseline, cancels it after cancelAfter ms, waits for its end. */
async function cancelAttributionAfterDelay(client: ObservedWorkerClient, setup: Setup): Promise<void> {
  const controller = new AbortController();
  const call = client.attribute(setup.igPair, { signal: controller.signal });
  call.catch(() => undefined);
  await sleep(cancelAfter);
  controller.abort();
  await call.catch(() => undefined);
}

const CASES: Case[] = [
  {
    label: `cut, cancel after ${cancelAfter} ms (spare loading)`,
    cancel: cancelAfterDelay,
  },
  {
    label: 'cut, cancel once the spare has loaded',
    cancel: cancelOnceSpareLoaded,
  },
  {
    label: `cut, two cancels 300 ms apart`,
    async cancel(client, setup) {
      const first = longScore(client, setup);
      await sleep(cancelAfter);
      await first();
      const second = longScore(client, setup);
      await sleep(300);
      const state = client.spareState;
      await second();
      return `spare ${state} at the second cancel`;
    },
  },
  {
    label: `uncut, cancel after ${cancelAfter} ms (spare loading)`,
    uncut: true,
    cancel: cancelAfterDelay,
  },
  {
    label: 'uncut, cancel once the spare has loaded',
    uncut: true,
    cancel: cancelOnceSpareLoaded,
  },
  {
    label: `cut, attribution cancelled after ${cancelAfter} ms`,
    async cancel(client, setup) {
      // The gradient model loaded first: this cancels the integration, not the load.
      await client.attribute(setup.igPair, { layers: [0], baselines: ['empty-document'] });
      await cancelAttributionAfterDelay(client, setup);
      return 'IG of one pair, all layers, both baselines';
    },
  },
  {
    label: `cut, first attribution cancelled after ${cancelAfter} ms`,
    async cancel(client, setup) {
      await cancelAttributionAfterDelay(client, setup);
      return 'cancelled while the worker loads the gradient model';
    },
  },
];

async function measure(setup: Setup, c: Case, workerOptions: WorkerClientOptions): Promise<void> {
  const options: RankerOptions = {
    threads,
    cacheDir: setup.cacheDir,
    ...(c.uncut ? { maxRunFlops: Infinity } : {}),
  };
  let t0 = performance.now();
  const client = await ObservedWorkerClient.load(setup.modelDir, options, workerOptions);
  const loadMs = performance.now() - t0;
  try {
    t0 = performance.now();
    await client.score([setup.long]);
    const longMs = performance.now() - t0;
    t0 = performance.now();
    await client.score([setup.short]);
    const shortMs = performance.now() - t0;
    const note = await c.cancel(client, setup);
    const t = performance.now();
    await client.score([setup.short]);
    const answered = performance.now() - t;
    console.log(
      `${c.label.padEnd(46)} next one-pair call answered ${sec(answered)} after the cancel ` +
        `(load ${sec(loadMs)}, one ${seq}-token pair ${sec(longMs)}, one short pair ${sec(shortMs)}; ` +
        `worker replaced ${client.forcedRestarts}x; ${note})`,
    );
  } finally {
    await client.dispose();
  }
}

/**
 * The first attribution after a swap to the spare: with the spare's gradient model preloaded (the user had
 * attributed before) and without (the promoted spare loads it on this call).
 */
async function firstAttributionAfterSwap(setup: Setup, preload: boolean, workerOptions: WorkerClientOptions) {
  const options: RankerOptions = { threads, cacheDir: setup.cacheDir, maxRunFlops: Infinity };
  // Grace 0: the cancel hands over to the spare at once (it is loaded), as for a call that cannot be cut.
  const client = await ObservedWorkerClient.load(setup.modelDir, options, {
    ...workerOptions,
    cancelGraceMs: 0,
  });
  const small = topLayerOnly(client);
  try {
    let t0 = performance.now();
    if (preload) await client.attribute(setup.igPair, small);
    const inFresh = performance.now() - t0;
    const stop = longScore(client, setup);
    await client.whenSpareWarm();
    await stop();
    t0 = performance.now();
    await client.attribute(setup.igPair, small);
    const after = performance.now() - t0;
    t0 = performance.now();
    await client.attribute(setup.igPair, small);
    const again = performance.now() - t0;
    console.log(
      `first attribution after a swap, ${preload ? 'gradients preloaded' : 'no preload        '}: ${sec(after)} ` +
        `(the same attribution once loaded: ${sec(again)}${preload ? `; first in a fresh worker: ${sec(inFresh)}` : ''}; ` +
        `replaced ${client.forcedRestarts}x)`,
    );
  } finally {
    await client.dispose();
  }
}

/**
 * Process RSS (the workers are threads of it) once a client has scored two short pairs (starting a spare
 * unless `spare` is false, and waiting for it), after one attribution first if `attributes`. Run in a child
 * process per variant: RSS rarely shrinks after a dispose, so variants measured one after another in one
 * process would hide each other.
 */
async function memoryChild(setup: Setup, spare: boolean, attributes: boolean): Promise<void> {
  const client = await ObservedWorkerClient.load(
    setup.modelDir,
    { threads, cacheDir: setup.cacheDir },
    { workerPath: setup.workerPath, spareIdleMs: spare ? undefined : 0 },
  );
  try {
    if (attributes) await client.attribute(setup.igPair, topLayerOnly(client));
    await client.score([setup.short, setup.short], { batchSize: 2 });
    await client.whenSpareWarm();
    console.log(JSON.stringify({ rss: process.memoryUsage().rss, spare: client.spareState }));
  } finally {
    await client.dispose();
  }
}

/** The spare's own memory, for a user who never attributes and for one who does (gradient models too). */
function spareMemory(setup: Setup, real: boolean) {
  const rss = (spare: boolean, attributes: boolean): number => {
    const args = [setup.modelDir, setup.cacheDir, setup.workerPath ?? '', real, spare, attributes].map(
      String,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--memory', ...args], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
    return (JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { rss: number }).rss;
  };
  for (const attributes of [false, true]) {
    const without = rss(false, attributes);
    const withSpare = rss(true, attributes);
    console.log(
      `spare memory${attributes ? ' (user attributes: gradient model in both workers)' : ' (scoring only)'}: RSS ` +
        `${mb(without)} without a spare, ${mb(withSpare)} with a loaded one: +${mb(withSpare - without)}`,
    );
  }
}

/** A quick attribution whose time is mostly the gradient model's load when that is not loaded yet. */
function topLayerOnly(client: ObservedWorkerClient) {
  return { layers: [client.info.numLayers], baselines: ['empty-document' as const] };
}

/**
 * The gradient batch trades attribution speed for cancel latency (a cancel is read between two runs, each a
 * layer of up to batchSize points): the default (16) against one point per run, the size that keeps one
 * BERT-base run within maxRunFlops. One attribution at layer 0 (all layers' gradients), one baseline.
 */
async function gradientBatches(setup: Setup, workerOptions: WorkerClientOptions) {
  const client = await ObservedWorkerClient.load(
    setup.modelDir,
    { threads, cacheDir: setup.cacheDir },
    { ...workerOptions, spareIdleMs: 0 },
  );
  const line: string[] = [];
  try {
    for (const batchSize of [undefined, 1]) {
      const options = { layers: [0], baselines: ['empty-document' as const], batchSize };
      await client.attribute(setup.igPair, options); // loads the gradient model with this batch size
      const t0 = performance.now();
      const result = await client.attribute(setup.igPair, options);
      const points = result.layers.reduce((n, e) => n + e.points, 0);
      line.push(`${batchSize ?? 'default'} ${sec(performance.now() - t0)} (${points} points)`);
    }
  } finally {
    await client.dispose();
  }
  console.log(
    `attribution of a ${setup.igPair.inputIds.length}-token pair by gradient batch: ${line.join(', ')}`,
  );
}

/** What cutting batches to maxRunFlops costs: the same pairs scored cut and as batches of 16. */
async function throughput(setup: Setup, workerOptions: WorkerClientOptions) {
  const pairs = Array.from({ length: Math.min(pairsCount, 32) }, () => setup.long);
  const line: string[] = [];
  for (const uncut of [false, true]) {
    const options: RankerOptions = {
      threads,
      cacheDir: setup.cacheDir,
      ...(uncut ? { maxRunFlops: Infinity } : {}),
    };
    const client = await ObservedWorkerClient.load(setup.modelDir, options, {
      ...workerOptions,
      spareIdleMs: 0,
    });
    try {
      await client.score([setup.long]);
      let runs = 0;
      const t0 = performance.now();
      await client.score(pairs, { batchSize: 16, onProgress: () => runs++ });
      line.push(`${uncut ? 'batches of 16' : 'cut'} ${sec(performance.now() - t0)} in ${runs} runs`);
    } finally {
      await client.dispose();
    }
  }
  console.log(`throughput, ${pairs.length} pairs of ${seq} tokens: ${line.join(', ')}`);
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
    const setup = makeSetup(modelDir, cacheDir, workerPath, given !== undefined);
    const workerOptions = { workerPath };
    const only = process.env.BENCH_ONLY;
    const wanted = (label: string) => !only || label.includes(only);
    for (const c of CASES) if (wanted(c.label)) await measure(setup, c, workerOptions);
    if (wanted('first attribution')) {
      await firstAttributionAfterSwap(setup, false, workerOptions);
      await firstAttributionAfterSwap(setup, true, workerOptions);
    }
    if (wanted('spare memory')) spareMemory(setup, given !== undefined);
    if (wanted('throughput')) await throughput(setup, workerOptions);
    if (wanted('gradient batch')) await gradientBatches(setup, workerOptions);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const realPassage =
  'A cross-encoder reads the query and the passage together, so every layer can attend across both; ' +
  'it is slower than a bi-encoder but ranks better, which is why it re-ranks a short candidate list.';

/** A BERT-base-shaped checkpoint with a vocabulary of [PAD], the special tokens and words w0, w1, ... */
function generate(dir: string): void {
  writeRandomCheckpoint(dir, BERT_BASE_SHAPE);
  const words = Array.from({ length: (BERT_BASE_SHAPE.vocab ?? 0) - 5 }, (_, i) => `w${i}`);
  fs.writeFileSync(
    path.join(dir, 'vocab.txt'),
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words].join('\n') + '\n',
  );
}

function makeSetup(modelDir: string, cacheDir: string, workerPath: string | undefined, real: boolean): Setup {
  const vocab = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')).vocab_size as number;
  const words = Array.from({ length: 90 }, (_, i) => `w${(i * 7) % 500}`).join(' ');
  const encode = loadPairEncoder(modelDir);
  return {
    modelDir,
    cacheDir,
    workerPath,
    long: syntheticPair(20, seq - 23, vocab, 1),
    short: syntheticPair(5, 30, vocab, 2),
    igPair: real ? encode('what is a cross encoder', realPassage) : encode('w1 w2 w3', words),
  };
}

if (process.argv[2] === '--generate') generate(process.argv[3]);
else if (process.argv[2] === '--memory') {
  const [modelDir, cacheDir, workerPath, real, spare, attributes] = process.argv.slice(3);
  const setup = makeSetup(modelDir, cacheDir, workerPath || undefined, real === 'true');
  memoryChild(setup, spare === 'true', attributes === 'true').catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
