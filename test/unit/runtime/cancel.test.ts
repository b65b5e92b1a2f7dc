// A cancel must free the worker: after cancelling a batch that would run for many seconds (one onnxruntime
// call the worker cannot interrupt), the next one-pair call must answer in a small fraction of that time.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { CancelledError, TimeoutError } from '../../../src/core/progress';
import { RankerWorkerClient } from '../../../src/core/runtime/worker-client';

// BERT's shape at a quarter of its width (4 layers, hidden 256, 4 heads, 512 positions): big enough that
// a batch of long pairs takes seconds, small enough to write in a moment.
const SPEC = {
  layers: 4,
  heads: 4,
  hidden: 256,
  intermediate: 1024,
  vocab: 1000,
  maxPositions: 512,
  numLabels: 1 as const,
  range: 0.05,
};
const LONG = syntheticPair(30, 478, SPEC.vocab, 1); // 511 tokens
const SHORT = syntheticPair(4, 20, SPEC.vocab, 2);

let dir: string;
let client: RankerWorkerClient;
/** How long loading the model in a fresh worker took (what a cancel without a warm spare waits for). */
let loadSeconds: number;

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

before(async () => {
  dir = tempDir('cancel');
  writeRandomCheckpoint(path.join(dir, 'model'), SPEC);
  const t = process.hrtime.bigint();
  client = await RankerWorkerClient.load(path.join(dir, 'model'), {
    threads: 1,
    cacheDir: path.join(dir, 'cache'),
  });
  loadSeconds = seconds(t);
});
after(async () => {
  await client.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('cancelling a worker call', () => {
  it('frees the worker for the next small call long before the cancelled batch would have ended', async () => {
    const expected = (await client.score([SHORT]))[0].score;
    let t = process.hrtime.bigint();
    await client.score([LONG]);
    const perLongPair = seconds(t);
    // One onnxruntime run estimated at >= 8 s: the worker sees no cancel message until it returns.
    const count = Math.max(8, Math.ceil(8 / perLongPair));
    const estimatedBatch = count * perLongPair;
    const controller = new AbortController();
    const big = client.score(
      Array.from({ length: count }, () => LONG),
      { signal: controller.signal, batchSize: count },
    );
    // The long call started a warm spare; a user cancels after seconds, by which time it has loaded.
    assert.equal(await client.whenSpareReady(), true, 'a warm spare loaded beside the long call');
    t = process.hrtime.bigint();
    controller.abort();
    await assert.rejects(big, CancelledError);
    const rejectedAfter = seconds(t);
    const [next] = await client.score([SHORT]);
    const answeredAfter = seconds(t);
    assert.equal(next.score, expected);
    assert.ok(rejectedAfter < 0.1, `rejected after ${rejectedAfter.toFixed(3)} s`);
    assert.ok(
      answeredAfter < estimatedBatch / 2,
      `next call answered ${answeredAfter.toFixed(2)} s after the cancel; the batch needed ~${estimatedBatch.toFixed(1)} s`,
    );
    assert.equal(client.forcedRestarts, 1, 'the busy worker was replaced');
    assert.equal(client.spareSwaps, 1, 'by the warm spare');
    // Without the spare the next call waits for a model load in a fresh worker; with it, for no load.
    assert.ok(
      answeredAfter < loadSeconds / 3,
      `next call answered ${answeredAfter.toFixed(2)} s after the cancel; a model load took ${loadSeconds.toFixed(2)} s`,
    );
    process.stderr.write(
      `# cancel latency: next one-pair call answered ${answeredAfter.toFixed(2)} s after the cancel ` +
        `(cancelled batch: ${count} pairs of 511 tokens, ~${estimatedBatch.toFixed(1)} s; ` +
        `a model load in a fresh worker: ${loadSeconds.toFixed(2)} s)\n`,
    );
  });

  it('stops a multi-batch call at the next batch without replacing the worker', async () => {
    const before = client.forcedRestarts;
    const controller = new AbortController();
    const run = client.score(
      Array.from({ length: 40 }, () => SHORT),
      { signal: controller.signal, batchSize: 2, onProgress: () => controller.abort() },
    );
    await assert.rejects(run, CancelledError);
    await client.score([SHORT]);
    assert.equal(client.forcedRestarts, before);
  });

  it('rejects a call that outlives its timeout with a TimeoutError, and the worker stays usable', async () => {
    const run = client.score(
      Array.from({ length: 16 }, () => LONG),
      { timeoutMs: 300, batchSize: 16 },
    );
    await assert.rejects(run, (e: unknown) => e instanceof TimeoutError && /within 300 ms/.test(e.message));
    assert.equal((await client.inspect(SHORT)).seqLength, SHORT.inputIds.length);
  });

  it('disposes the warm spare with the client: the process exits by itself', () => {
    const script = path.join(dir, 'spare-dispose.ts');
    const source = (file: string) => JSON.stringify(path.resolve(__dirname, file));
    fs.writeFileSync(
      script,
      `import { RankerWorkerClient } from ${source('../../../src/core/runtime/worker-client')};
import { syntheticPair } from ${source('../../support/model-fixtures')};
(async () => {
  const client = await RankerWorkerClient.load(${JSON.stringify(path.join(dir, 'model'))}, {
    threads: 1, cacheDir: ${JSON.stringify(path.join(dir, 'cache'))} }, { spareIdleMs: 600000 });
  await client.score([syntheticPair(4, 20, ${SPEC.vocab}, 2), syntheticPair(5, 20, ${SPEC.vocab}, 3)]);
  console.log('spare ' + (await client.whenSpareReady() ? 'ready' : 'missing'));
  await client.dispose();
  console.log('disposed, spare ' + client.spareState);
})();
`,
    );
    // A spare worker left running would keep the child alive until the timeout kills it.
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 120_000,
      cwd: path.resolve(__dirname, '../../..'),
    });
    assert.equal(child.signal, null, `child killed (still running after 120 s): ${child.stdout}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /spare ready\ndisposed, spare none\n/);
  });

  it('starts no spare for one-pair calls, nor when spareIdleMs is 0', async () => {
    const fresh = await RankerWorkerClient.load(
      path.join(dir, 'model'),
      { threads: 1, cacheDir: path.join(dir, 'cache') },
      { spareIdleMs: 0 },
    );
    try {
      await fresh.score([SHORT]);
      assert.equal(fresh.spareState, 'none');
      await fresh.score([SHORT, SHORT]);
      assert.equal(fresh.spareState, 'none');
    } finally {
      await fresh.dispose();
    }
  });

  it('drops an idle spare after spareIdleMs', async () => {
    const idle = await RankerWorkerClient.load(
      path.join(dir, 'model'),
      { threads: 1, cacheDir: path.join(dir, 'cache') },
      { spareIdleMs: 300 },
    );
    try {
      await idle.score([SHORT]);
      assert.equal(idle.spareState, 'none', 'a one-pair call starts no spare');
      await idle.score([SHORT, SHORT]);
      assert.notEqual(idle.spareState, 'none', 'a long call starts one');
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(idle.spareState, 'none');
    } finally {
      await idle.dispose();
    }
  });

  it('cancels a model load', async () => {
    const controller = new AbortController();
    const t = process.hrtime.bigint();
    const load = RankerWorkerClient.load(path.join(dir, 'model'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(load, CancelledError);
    assert.ok(seconds(t) < 2, `load rejected after ${seconds(t).toFixed(2)} s`);
  });
});
