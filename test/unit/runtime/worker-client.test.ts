import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { Ranker } from '../../../src/core/runtime/ranker';
import { RankerWorkerClient } from '../../../src/core/runtime/worker-client';

let dir: string;
let direct: Ranker;
let client: RankerWorkerClient;
const pairs = Array.from({ length: 5 }, (_, i) => syntheticPair(2, 3 + i, 50, i));

before(async () => {
  dir = tempDir('worker');
  writeRandomCheckpoint(path.join(dir, 'model'), { layers: 2, heads: 2, hidden: 8, numLabels: 2, seed: 8 });
  const options = { threads: 1, cacheDir: path.join(dir, 'cache'), batchSize: 2 };
  direct = await Ranker.load(path.join(dir, 'model'), options);
  client = await RankerWorkerClient.load(path.join(dir, 'model'), options);
});
after(async () => {
  await client.dispose();
  await direct.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('RankerWorkerClient', () => {
  it('gives the same scores and inspections as the in-process Ranker', async () => {
    assert.deepEqual(client.info, direct.info);
    const progress: number[] = [];
    const viaWorker = await client.score(pairs, { onProgress: (done) => progress.push(done) });
    assert.deepEqual(viaWorker, await direct.score(pairs));
    assert.deepEqual(progress, [2, 4, 5]);
    const masks = {
      masks: [{ kind: 'token' as const, layers: [1], from: 'all' as const, to: { positions: [1] } }],
    };
    const a = await client.inspect(pairs[1], masks);
    const b = await direct.inspect(pairs[1], masks);
    assert.ok(a.attentions instanceof Float32Array);
    assert.deepEqual(Array.from(a.attentions), Array.from(b.attentions));
    assert.deepEqual(Array.from(a.hiddenStates), Array.from(b.hiddenStates));
    assert.equal(a.score, b.score);
  });

  it('reports errors from the worker with their message', async () => {
    await assert.rejects(
      client.score([{ inputIds: [1, 77] }]),
      /token id 77 at position 1 is outside the vocabulary/,
    );
  });

  it('cancels with an AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await assert.rejects(client.score(pairs, { signal: controller.signal }), /stop now/);
    const late = new AbortController();
    const run = client.score(pairs, {
      signal: late.signal,
      onProgress: () => late.abort(new Error('stop later')),
    });
    await assert.rejects(run, /stop later/);
    assert.equal(
      (await client.score(pairs.slice(0, 1)))[0].score,
      (await direct.score(pairs.slice(0, 1)))[0].score,
    );
  });

  it('reports a crashed worker as an error and starts a fresh one on the next call', async () => {
    const inFlight = client.score(Array.from({ length: 200 }, () => pairs[4]));
    await client.crashWorkerForTesting();
    await assert.rejects(inFlight, /ranker worker stopped \(worker exited with code 70\)/);
    const [after] = await client.score([pairs[0]]);
    assert.equal(after.score, (await direct.score([pairs[0]]))[0].score);
  });

  it('fails clearly when the checkpoint cannot be loaded', async () => {
    await assert.rejects(
      RankerWorkerClient.load(path.join(dir, 'missing')),
      /checkpoint folder .*missing does not exist/,
    );
  });
});
