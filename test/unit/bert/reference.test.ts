import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { maxAbsDiff, referenceForward, syntheticPair } from '../../support/model-fixtures';
import { Ranker } from '../../../src/core/runtime/ranker';

const SHAPES: CheckpointSpec[] = [
  { layers: 1, heads: 1, hidden: 8, numLabels: 1, dtype: 'F32', prefix: true, seed: 11 },
  { layers: 2, heads: 2, hidden: 16, numLabels: 2, dtype: 'F16', prefix: false, seed: 12, intermediate: 24 },
  { layers: 3, heads: 4, hidden: 32, numLabels: 2, dtype: 'BF16', prefix: true, shards: 3, seed: 13 },
  {
    layers: 2,
    heads: 4,
    hidden: 12,
    numLabels: 1,
    dtype: 'F32',
    prefix: false,
    shards: 2,
    seed: 14,
    layerNormEps: 1e-5,
  },
];

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/**
 * These models are at most 3 layers of width 32 over 26 tokens, and F16/BF16 weights are exact in float32: the
 * float32 forward errs by ~1e-7 relative per op, and measured logits, attentions and hidden states stay within
 * 2e-6 of the float64 reference. 1e-5 (relative to values of size >= 1) keeps a margin and still fails a change
 * that loses precision the way issue 17 saw (2.1e-4 on a logit of 4.77), or a LayerNorm epsilon off by 1e-5.
 */
const TOLERANCE = 1e-5;
const within = (got: ArrayLike<number>, want: ArrayLike<number>) =>
  maxAbsDiff(got, want) <= TOLERANCE * Math.max(1, ...Array.from(want, Math.abs));

describe('ONNX BERT agrees with the float64 reference', () => {
  for (const spec of SHAPES) {
    const label =
      `L${spec.layers} H${spec.heads} d${spec.hidden} labels${spec.numLabels} ${spec.dtype}` +
      `${spec.prefix ? ' bert.' : ''}${spec.shards ? ` ${spec.shards} shards` : ''}`;
    it(label, async () => {
      const dir = tempDir('ref');
      dirs.push(dir);
      const written = writeRandomCheckpoint(dir, spec);
      const ranker = await Ranker.load(dir, { threads: 1 });
      try {
        const pairs = [syntheticPair(3, 9, 50, 1), syntheticPair(2, 4, 50, 2), syntheticPair(5, 20, 50, 3)];
        const scored = await ranker.score(pairs, { batchSize: 2 });
        const ref = pairs.map((p) => referenceForward(spec, written, p));
        for (let i = 0; i < pairs.length; i++) {
          assert.ok(
            within(scored[i].logits, ref[i].logits),
            `logits ${scored[i].logits} vs ${ref[i].logits}`,
          );
          assert.ok(within([scored[i].score], [ref[i].score]), `score ${scored[i].score} vs ${ref[i].score}`);
          if (spec.numLabels === 1)
            assert.ok(within([scored[i].sigmoid!], [1 / (1 + Math.exp(-ref[i].score))]));
          else assert.equal(scored[i].sigmoid, undefined);
        }
        // The pairs differ, so a graph that ignored its inputs would fail here.
        assert.notEqual(scored[0].score, scored[1].score);

        const inspected = await ranker.inspect(pairs[2]);
        const n = pairs[2].inputIds.length;
        assert.equal(inspected.seqLength, n);
        assert.equal(inspected.attentions.length, spec.layers * spec.heads * n * n);
        assert.equal(inspected.hiddenStates.length, (spec.layers + 1) * n * spec.hidden);
        assert.ok(within([inspected.score], [ref[2].score]));
        const refAttn = ref[2].attentions.flat(3);
        const refHidden = ref[2].hidden.flat(2);
        assert.ok(
          within(inspected.attentions, refAttn),
          `attentions ${maxAbsDiff(inspected.attentions, refAttn)}`,
        );
        assert.ok(
          within(inspected.hiddenStates, refHidden),
          `hidden ${maxAbsDiff(inspected.hiddenStates, refHidden)}`,
        );
      } finally {
        await ranker.dispose();
      }
    });
  }
});
