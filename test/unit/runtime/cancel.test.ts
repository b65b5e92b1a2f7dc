// A cancel must free the worker: after cancelling a batch that would run for many seconds (one onnxruntime
// call the worker cannot interrupt), the next one-pair call must answer in a small fraction of that time.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
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

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

before(async () => {
  dir = tempDir('cancel');
  writeRandomCheckpoint(path.join(dir, 'model'), SPEC);
  client = await RankerWorkerClient.load(path.join(dir, 'model'), {
    threads: 1,
    cacheDir: path.join(dir, 'cache'),
  });
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
    await new Promise((resolve) => setTimeout(resolve, 200));
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
    process.stderr.write(
      `# cancel latency: next one-pair call answered ${answeredAfter.toFixed(2)} s after the cancel ` +
        `(cancelled batch: ${count} pairs of 511 tokens, ~${estimatedBatch.toFixed(1)} s)\n`,
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

  it('cancels a model load', async () => {
    const controller = new AbortController();
    const t = process.hrtime.bigint();
    const load = RankerWorkerClient.load(path.join(dir, 'model'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(load, CancelledError);
    assert.ok(seconds(t) < 2, `load rejected after ${seconds(t).toFixed(2)} s`);
  });
});
