import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { attribute } from '../../../src/core/attribution';
import { BertGradientModel } from '../../../src/core/bert/gradientModel';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import { RankerWorkerClient } from '../../../src/worker/client';
import { ObservedWorkerClient } from '../../support/observedWorkerClient';

let dir: string;
let direct: Ranker;
let client: ObservedWorkerClient;
const pairs = Array.from({ length: 5 }, (_, i) => syntheticPair(2, 3 + i, 50, i));

before(async () => {
  dir = tempDir('worker');
  writeRandomCheckpoint(path.join(dir, 'model'), { layers: 2, heads: 2, hidden: 8, numLabels: 2, seed: 8 });
  const options = { threads: 1, cacheDir: path.join(dir, 'cache'), batchSize: 2 };
  direct = await Ranker.load(path.join(dir, 'model'), options);
  client = await ObservedWorkerClient.load(path.join(dir, 'model'), options);
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
    await client.crashWorker();
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

describe('RankerWorkerClient.attribute', () => {
  let modelDir: string;
  let igClient: RankerWorkerClient;
  const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

  before(async () => {
    modelDir = path.join(dir, 'ig-model');
    writeRandomCheckpoint(modelDir, {
      layers: 2,
      heads: 2,
      hidden: 16,
      intermediate: 24,
      numLabels: 1,
      seed: 41,
      range: 0.3,
    });
    // A word-level vocabulary, so real text encodes with real character offsets.
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, '.'];
    fs.writeFileSync(path.join(modelDir, 'vocab.txt'), vocab.join('\n') + '\n');
    igClient = await RankerWorkerClient.load(modelDir, { threads: 1, cacheDir: path.join(dir, 'cache') });
  });
  after(() => igClient.dispose());

  it('gives exactly the in-process attributions, per layer and baseline, with progress', async () => {
    const pair = loadPairEncoder(modelDir)('beta gamma', 'delta alpha. zeta eta');
    const progress: [number, number][] = [];
    const viaWorker = await igClient.attribute(pair, { onProgress: (d, t) => progress.push([d, t]) });
    const model = await BertGradientModel.load(modelDir, { threads: 1 });
    try {
      const [direct] = await attribute(model, [pair], undefined, { padId: 0 });
      assert.deepEqual(viaWorker, direct);
    } finally {
      await model.dispose();
    }
    assert.equal(viaWorker.layers.length, 2 * 3);
    assert.deepEqual(
      progress,
      [1, 2, 3, 4, 5, 6].map((d) => [d, 6]),
    );
    // Offsets point into the original strings.
    const passageTokens = viaWorker.tokens.filter((t) => t.kind === 'doc' || t.kind === 'period');
    assert.deepEqual(
      passageTokens.map((t) => 'delta alpha. zeta eta'.slice(t.start, t.end)),
      ['delta', 'alpha', '.', 'zeta', 'eta'],
    );
    for (const entry of viaWorker.layers) assert.ok(entry.converged && entry.completenessError < 0.05);
  });

  it('honours layers and baselines, and cancels with an AbortSignal', async () => {
    const pair = loadPairEncoder(modelDir)('alpha', 'beta gamma delta');
    const one = await igClient.attribute(pair, { layers: [1], baselines: ['empty-document'] });
    assert.deepEqual(
      one.layers.map((e) => [e.layer, e.baseline]),
      [[1, 'empty-document']],
    );
    const controller = new AbortController();
    const run = igClient.attribute(pair, {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop attributing')),
    });
    await assert.rejects(run, /stop attributing/);
    const again = await igClient.attribute(pair, { layers: [1], baselines: ['empty-document'] });
    assert.deepEqual(again, one);
  });

  it('reports requests in flight, and cancelAll stops them while the model stays loaded', async () => {
    const pair = loadPairEncoder(modelDir)('alpha beta', 'gamma delta epsilon');
    // The previous test's cancel may have replaced the worker: wait until the active one has its model, so both
    // calls below post their requests in the same turn (otherwise the score can settle before the IG is posted).
    await igClient.score([pair]);
    const counts: number[] = [];
    const unsubscribe = igClient.onBusyChange((n) => counts.push(n));
    try {
      // An IG that cannot converge (tolerance 1e-12: every integral runs to maxPoints) stays in flight long
      // after the score is posted; a default one on this tiny model can finish before the score is even
      // posted (requests are posted once the worker has started), and then two are never pending at once.
      const running = igClient.attribute(pair, { tolerance: 1e-12 });
      const scoring = igClient.score([pair]);
      const deadline = Date.now() + 30_000;
      while (igClient.pendingCount < 2) {
        assert.ok(Date.now() < deadline, `only ${igClient.pendingCount} request(s) ever pending`);
        await new Promise((r) => setImmediate(r));
      }
      igClient.cancelAll(new Error('stopped from the status bar'));
      await assert.rejects(running, /stopped from the status bar/);
      await assert.rejects(scoring, /stopped from the status bar/);
      assert.equal(igClient.pendingCount, 0);
      assert.deepEqual(counts, [1, 2, 1, 0]);
      const [after] = await igClient.score([pair]);
      assert.ok(Number.isFinite(after.score));
      assert.deepEqual(counts.slice(4), [1, 0]);
    } finally {
      unsubscribe();
    }
  });

  it('names the checkpoint when it has no [PAD] token', async () => {
    const noPad = path.join(dir, 'ig-no-pad');
    fs.cpSync(modelDir, noPad, { recursive: true });
    fs.writeFileSync(path.join(noPad, 'vocab.txt'), ['[UNK]', '[CLS]', '[SEP]', ...WORDS].join('\n') + '\n');
    const c = await RankerWorkerClient.load(noPad, { threads: 1 });
    try {
      const pair = loadPairEncoder(modelDir)('alpha', 'beta');
      await assert.rejects(c.attribute(pair), /ig-no-pad: the vocabulary has no \[PAD\] token/);
    } finally {
      await c.dispose();
    }
  });
});
