import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { Ranker } from '../../../src/core/runtime/ranker';
import { layerFlopsPerToken, lengthSortedBatches, pairsPerRun } from '../../../src/core/runtime/batch';
import { compileMasks } from '../../../src/core/runtime/masks';
import { openBertCheckpoint } from '../../../src/core/model/checkpoint';

let dir: string;
let ranker: Ranker;
const pairs = Array.from({ length: 7 }, (_, i) => syntheticPair(1 + (i % 3), 2 + ((i * 5) % 11), 50, i));

before(async () => {
  dir = tempDir('ranker');
  writeRandomCheckpoint(path.join(dir, 'model'), { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 3 });
  ranker = await Ranker.load(path.join(dir, 'model'), {
    threads: 1,
    cacheDir: path.join(dir, 'cache'),
    batchSize: 3,
  });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Ranker', () => {
  it('reports the model it loaded', () => {
    assert.deepEqual(ranker.info, {
      dir: path.join(dir, 'model'),
      fingerprint: openBertCheckpoint(path.join(dir, 'model')).fingerprint,
      numLayers: 2,
      numHeads: 2,
      hiddenSize: 16,
      numLabels: 1,
      vocabSize: 50,
      maxLength: 64,
    });
  });

  it('scores in input order whatever the batching', async () => {
    const batched = await ranker.score(pairs);
    const single = await ranker.score(pairs, { batchSize: 1 });
    const all = await ranker.score(pairs, { batchSize: 16 });
    for (let i = 0; i < pairs.length; i++) {
      assert.ok(Math.abs(batched[i].score - single[i].score) < 1e-5);
      assert.ok(Math.abs(all[i].score - single[i].score) < 1e-5);
      assert.equal(batched[i].score, batched[i].logits[0]);
    }
    assert.equal(new Set(single.map((s) => s.score.toFixed(6))).size, pairs.length);
  });

  it('strips padding from padded pairs (EncodedPair style Int32Arrays)', async () => {
    const p = pairs[2];
    const padded = {
      inputIds: Int32Array.from([...p.inputIds, 0, 0, 0]),
      tokenTypeIds: Int32Array.from([...p.tokenTypeIds, 0, 0, 0]),
      attentionMask: Int32Array.from([...p.attentionMask, 0, 0, 0]),
    };
    const [a, b] = await ranker.score([padded, { inputIds: p.inputIds, tokenTypeIds: p.tokenTypeIds }]);
    assert.ok(Math.abs(a.score - b.score) < 1e-6);
    const inspected = await ranker.inspect(padded);
    assert.equal(inspected.seqLength, p.inputIds.length);
  });

  it('reports progress and stops between batches when aborted', async () => {
    const progress: number[] = [];
    await ranker.score(pairs, { onProgress: (done) => progress.push(done) });
    assert.deepEqual(progress, [3, 6, 7]);
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      ranker.score(pairs, {
        signal: controller.signal,
        onProgress: (done) => {
          seen.push(done);
          controller.abort(new Error('user cancelled'));
        },
      }),
      /user cancelled/,
    );
    assert.deepEqual(seen, [3]);
  });

  it('rejects bad pairs with a clear message instead of an onnxruntime error', async () => {
    await assert.rejects(
      ranker.score([{ inputIds: [1, 99, 2] }]),
      /pair 0: token id 99 at position 1 is outside the vocabulary \(0-49\)/,
    );
    await assert.rejects(
      ranker.score([pairs[0], { inputIds: [1, 2], tokenTypeIds: [0, 5] }]),
      /pair 1: token type 5 at position 1 is outside 0-1/,
    );
    await assert.rejects(
      ranker.score([{ inputIds: new Array(65).fill(3) }]),
      /65 tokens, longer than the maximum length 64/,
    );
    await assert.rejects(ranker.score([{ inputIds: [] }]), /pair 0: no tokens/);
    await assert.rejects(ranker.score(pairs, { batchSize: 0 }), /batch size 0 must be a positive integer/);
  });

  it('caches built graphs on disk and reuses them', async () => {
    const cached = fs.readdirSync(path.join(dir, 'cache')).sort();
    assert.ok(
      cached.some((f) => /^bert-score-[0-9a-f]{32}\.onnx$/.test(f)),
      cached.join(','),
    );
    assert.ok(
      cached.some((f) => /^bert-inspect-/.test(f)),
      'inspect graph built on first inspect()',
    );
    const file = path.join(
      dir,
      'cache',
      cached.find((f) => f.startsWith('bert-score') && f.endsWith('.onnx'))!,
    );
    const mtime = fs.statSync(file).mtimeMs;
    const again = await Ranker.load(path.join(dir, 'model'), {
      cacheDir: path.join(dir, 'cache'),
      maxLength: 16,
    });
    assert.equal(fs.statSync(file).mtimeMs, mtime);
    assert.equal(again.info.maxLength, 16);
    const [a] = await again.score([pairs[0]]);
    const [b] = await ranker.score([pairs[0]]);
    assert.ok(Math.abs(a.score - b.score) < 1e-6);
    await again.dispose();
    await assert.rejects(again.score([pairs[0]]), /disposed/);
    // A different checkpoint gets a different graph file.
    writeRandomCheckpoint(path.join(dir, 'other'), {
      layers: 2,
      heads: 2,
      hidden: 16,
      numLabels: 1,
      seed: 4,
    });
    const other = await Ranker.load(path.join(dir, 'other'), { cacheDir: path.join(dir, 'cache') });
    await other.dispose();
    assert.equal(
      fs.readdirSync(path.join(dir, 'cache')).filter((f) => /^bert-score-.*\.onnx$/.test(f)).length,
      2,
    );
  });
});

describe('Ranker with maxRunFlops', () => {
  it('cuts batches so each onnxruntime run stays in the budget, with the same scores and progress per run', async () => {
    const flopsOfOnePair =
      2 * 2 * layerFlopsPerToken({ numLayers: 2, hiddenSize: 16, intermediateSize: 64 }, 12);
    const small = await Ranker.load(path.join(dir, 'model'), {
      threads: 1,
      cacheDir: path.join(dir, 'cache'),
      batchSize: 3,
      maxRunFlops: flopsOfOnePair * 1.5,
    });
    try {
      const progress: number[] = [];
      const cut = await small.score(pairs, { onProgress: (done) => progress.push(done) });
      // Pairs of 6-18 tokens: one per run at the longest lengths, more once they are short enough.
      assert.ok(progress.length > Math.ceil(pairs.length / 3), `runs: ${progress.join(',')}`);
      assert.equal(progress[0], 1);
      const whole = await ranker.score(pairs);
      cut.forEach((r, i) => assert.ok(Math.abs(r.score - whole[i].score) < 1e-5, `pair ${i}`));
    } finally {
      await small.dispose();
    }
    await assert.rejects(
      Ranker.load(path.join(dir, 'model'), { maxRunFlops: 0 }),
      /maxRunFlops 0 must be positive/,
    );
  });
});

describe('batch and mask helpers', () => {
  it('lengthSortedBatches groups similar lengths, longest first', () => {
    assert.deepEqual(lengthSortedBatches([5, 9, 1, 9, 3], 2), [[1, 3], [0, 4], [2]]);
  });

  it('lengthSortedBatches cuts batches to what one run may take at their longest length', () => {
    // At most 20 padded tokens per run; a pair longer than that still runs, alone.
    const fits = (seqLength: number) => Math.floor(20 / seqLength);
    assert.deepEqual(lengthSortedBatches([5, 30, 4, 9, 3, 2], 4, fits), [[1], [3, 0], [2, 4, 5]]);
  });

  it('pairsPerRun keeps one run of a BERT-base pair, and of a batch of small-model pairs, in the budget', () => {
    const base = { numLayers: 12, hiddenSize: 768, intermediateSize: 3072 };
    // Independent count for BERT-base at 128 tokens: per token and layer 4h^2 + 2hf + 2nh multiply-adds.
    const perToken = 2 * (4 * 768 * 768 + 2 * 768 * 3072 + 2 * 128 * 768);
    assert.equal(layerFlopsPerToken(base, 128), perToken);
    assert.equal(pairsPerRun(base, 128, 12, 4e9), 1, 'a 128-token BERT-base pair exceeds 4 GFLOP alone');
    assert.equal(pairsPerRun(base, 16, 12, 4e9), Math.floor(4e9 / (16 * 12 * layerFlopsPerToken(base, 16))));
    assert.equal(pairsPerRun(base, 16, 12, Infinity), Infinity);
  });

  it('compileMasks groups positions by selector membership across the batch', () => {
    const c = compileMasks(
      [
        { length: 3, kinds: ['cls', 'query', 'sep'] },
        { length: 2, kinds: ['cls', 'doc'] },
      ],
      3,
      2,
      1,
      [{ kind: 'token', layers: [1], from: ['query'], to: ['cls'] }],
    );
    // groups: cls(to) / query(from) / other
    assert.equal(c.numGroups, 3);
    assert.deepEqual(Array.from(c.tokenTable.slice(0, 9)), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(c.tokenTable.slice(9)), [0, 0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(c.groups.slice(0, 9)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.ok(c.attentionTable.every((v) => v === 0));
  });
});
