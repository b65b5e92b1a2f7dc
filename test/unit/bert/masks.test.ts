import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { ReferenceMasks } from '../../reference/bert64';
import {
  tempDir,
  writeRandomCheckpoint,
  type CheckpointSpec,
  type WrittenCheckpoint,
} from '../../support/checkpoints';
import { maxAbsDiff, referenceForward, syntheticPair } from '../../support/model-fixtures';
import { Ranker } from '../../../src/core/runtime/ranker';
import { bertModelBytes } from '../../../src/core/bert/cache';
import { openBertCheckpoint } from '../../../src/core/model/checkpoint';
import type { EncodedToken, TokenKind } from '../../../src/core/text/types';
import type { InspectResult } from '../../../src/core/runtime/types';

const spec: CheckpointSpec = { layers: 3, heads: 2, hidden: 16, numLabels: 2, seed: 21 };
let dir: string;
let written: WrittenCheckpoint;
let ranker: Ranker;
const pair = syntheticPair(3, 6, 50, 4); // [CLS] q q q [SEP] d d d d d d [SEP]
const n = pair.inputIds.length;
const kinds: TokenKind[] = pair.inputIds.map((id, i) =>
  id === 1 ? 'cls' : id === 2 ? 'sep' : pair.tokenTypeIds[i] === 0 ? 'query' : 'doc',
);
kinds[8] = 'period';
const tokens: EncodedToken[] = kinds.map((kind, i) => ({
  text: `t${i}`,
  id: pair.inputIds[i],
  kind,
  segment: pair.tokenTypeIds[i] as 0 | 1,
  start: -1,
  end: -1,
}));

before(async () => {
  dir = tempDir('masks');
  written = writeRandomCheckpoint(dir, spec);
  ranker = await Ranker.load(dir, { threads: 1 });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const at = (r: InspectResult, l: number, h: number, i: number, j: number) =>
  r.attentions[((l * r.numHeads + h) * r.seqLength + i) * r.seqLength + j];
const rowSum = (r: InspectResult, l: number, h: number, i: number) => {
  let s = 0;
  for (let j = 0; j < r.seqLength; j++) s += at(r, l, h, i, j);
  return s;
};
const reference = (masks: ReferenceMasks) => referenceForward(spec, written, pair, masks);

function assertMatchesReference(r: InspectResult, masks: ReferenceMasks) {
  const ref = reference(masks);
  assert.ok(Math.abs(r.score - ref.score) <= 1e-4, `score ${r.score} vs ${ref.score}`);
  assert.ok(maxAbsDiff(r.attentions, ref.attentions.flat(3)) <= 1e-4);
  assert.ok(maxAbsDiff(r.hiddenStates, ref.hidden.flat(2)) <= 2e-4);
}

describe('experiment masks', () => {
  it('all-zero masks give the outputs of the plain graph', async () => {
    const session = await ort.InferenceSession.create(bertModelBytes(openBertCheckpoint(dir), 'plain'));
    const i64 = (a: number[]) => new ort.Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, n]);
    const plain = await session.run({
      input_ids: i64(pair.inputIds),
      token_type_ids: i64(pair.tokenTypeIds),
      attention_mask: i64(pair.attentionMask),
    });
    await session.release();
    const masked = await ranker.inspect(pair, { masks: [], headMasks: [] });
    assert.ok(maxAbsDiff(masked.logits, plain.logits.data as Float32Array) <= 1e-6);
    const scored = await ranker.score([pair]);
    assert.ok(maxAbsDiff(scored[0].logits, plain.logits.data as Float32Array) <= 1e-6);
  });

  it('an attention mask zeroes probabilities without renormalising the row', async () => {
    const column = 6;
    const r = await ranker.inspect(pair, {
      masks: [{ kind: 'attention', layers: [1], from: 'all', to: { positions: [column] } }],
    });
    const unmasked = await ranker.inspect(pair);
    for (let h = 0; h < spec.heads; h++) {
      for (let i = 0; i < n; i++) {
        assert.equal(at(r, 1, h, i, column), 0);
        // Layers before the mask are untouched; in the masked layer the rest of the row is unchanged.
        assert.equal(at(r, 0, h, i, column), at(unmasked, 0, h, i, column));
        const expected = 1 - at(unmasked, 1, h, i, column);
        assert.ok(Math.abs(rowSum(r, 1, h, i) - expected) < 1e-6, 'row not renormalised');
        assert.ok(rowSum(r, 1, h, i) < 1 - 1e-4);
      }
    }
    assertMatchesReference(r, { attention: (l, _i, j) => (l === 1 && j === column ? 1 : 0) });
    assert.notEqual(r.score, unmasked.score);
  });

  it('a token mask removes the key and the row renormalises over the rest', async () => {
    const column = 3;
    const r = await ranker.inspect(pair, {
      masks: [{ kind: 'token', layers: [0, 2], from: 'all', to: { positions: [column] } }],
    });
    for (const l of [0, 2]) {
      for (let h = 0; h < spec.heads; h++) {
        for (let i = 0; i < n; i++) {
          assert.equal(at(r, l, h, i, column), 0);
          assert.ok(Math.abs(rowSum(r, l, h, i) - 1) < 1e-6);
        }
      }
    }
    assert.ok(at(r, 1, 0, 0, column) > 0, 'layer 1 is not masked');
    assertMatchesReference(r, { token: (l, _i, j) => ((l === 0 || l === 2) && j === column ? 1 : 0) });
  });

  it('kind selectors mask only the chosen token pairs (query -> doc)', async () => {
    const r = await ranker.inspect(
      { ...pair, tokens },
      { masks: [{ kind: 'attention', layers: 'all', from: ['query'], to: ['doc', 'period'] }] },
    );
    const isQuery = (i: number) => kinds[i] === 'query';
    const isDoc = (j: number) => kinds[j] === 'doc' || kinds[j] === 'period';
    for (let l = 0; l < spec.layers; l++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const v = at(r, l, 0, i, j);
          if (isQuery(i) && isDoc(j)) assert.equal(v, 0);
          else assert.ok(v > 0, `(${l},${i},${j}) should be untouched`);
        }
      }
    }
    assertMatchesReference(r, { attention: (_l, i, j) => (isQuery(i) && isDoc(j) ? 1 : 0) });
    assert.deepEqual(
      r.tokens?.map((t) => t.kind),
      kinds,
    );
  });

  it('token and attention masks combine in one batch of differently shaped pairs', async () => {
    const other = syntheticPair(2, 3, 50, 9);
    const otherTokens: EncodedToken[] = other.inputIds.map((id, i) => ({
      text: `o${i}`,
      id,
      kind: id === 1 ? 'cls' : id === 2 ? 'sep' : other.tokenTypeIds[i] === 0 ? 'query' : 'doc',
      segment: other.tokenTypeIds[i] as 0 | 1,
      start: -1,
      end: -1,
    }));
    const masks = [
      { kind: 'token' as const, layers: [0], from: ['doc'] as TokenKind[], to: ['query'] as TokenKind[] },
      { kind: 'attention' as const, layers: [2], from: 'all' as const, to: ['sep'] as TokenKind[] },
    ];
    const together = await ranker.score(
      [
        { ...pair, tokens },
        { ...other, tokens: otherTokens },
      ],
      { masks },
    );
    const alone = [
      (await ranker.score([{ ...pair, tokens }], { masks }))[0],
      (await ranker.score([{ ...other, tokens: otherTokens }], { masks }))[0],
    ];
    assert.ok(Math.abs(together[0].score - alone[0].score) < 1e-5);
    assert.ok(Math.abs(together[1].score - alone[1].score) < 1e-5);
    const ref = reference({
      token: (l, i, j) => (l === 0 && kinds[i] === 'doc' && kinds[j] === 'query' ? 1 : 0),
      attention: (l, _i, j) => (l === 2 && kinds[j] === 'sep' ? 1 : 0),
    });
    assert.ok(Math.abs(together[0].score - ref.score) <= 1e-4);
  });

  it('masks in the last layer, where the score graph computes the [CLS] row alone, give the reference score', async () => {
    const last = spec.layers - 1;
    const masks = [
      { kind: 'token' as const, layers: [last], from: 'all' as const, to: ['doc'] as TokenKind[] },
      {
        kind: 'attention' as const,
        layers: [last],
        from: ['cls'] as TokenKind[],
        to: ['sep'] as TokenKind[],
      },
    ];
    const headMasks = [{ layer: last, heads: [1] }];
    const [scored] = await ranker.score([{ ...pair, tokens }], { masks, headMasks });
    const inspected = await ranker.inspect({ ...pair, tokens }, { masks, headMasks });
    const ref = reference({
      token: (l, _i, j) => (l === last && kinds[j] === 'doc' ? 1 : 0),
      attention: (l, i, j) => (l === last && kinds[i] === 'cls' && kinds[j] === 'sep' ? 1 : 0),
      head: (l, h) => (l === last && h === 1 ? 1 : 0),
    });
    assert.ok(Math.abs(scored.score - ref.score) <= 1e-5, `score ${scored.score} vs ${ref.score}`);
    assert.ok(
      Math.abs(scored.score - inspected.score) <= 1e-6,
      `score ${scored.score} vs inspect ${inspected.score}`,
    );
    // Attention statistics keep every row's probabilities there, and the context of [CLS] alone.
    const [sums] = await ranker.attentionSums([{ ...pair, tokens }], { masks, headMasks });
    assert.ok(
      Math.abs(sums.score - scored.score) <= 1e-6,
      `statistics' score ${sums.score} vs ${scored.score}`,
    );
    // The masks change the score: the [CLS] row's masks reach it.
    const [unmasked] = await ranker.score([{ ...pair, tokens }]);
    assert.ok(Math.abs(unmasked.score - scored.score) > 1e-3);
  });

  it('a head mask zeroes that head and its contribution', async () => {
    const r = await ranker.inspect(pair, { headMasks: [{ layer: 1, heads: [1] }] });
    for (let i = 0; i < n; i++) {
      assert.equal(rowSum(r, 1, 1, i), 0);
      assert.ok(Math.abs(rowSum(r, 1, 0, i) - 1) < 1e-6);
    }
    assertMatchesReference(r, { head: (l, h) => (l === 1 && h === 1 ? 1 : 0) });
  });

  it('rejects masks for layers or heads the model does not have', async () => {
    await assert.rejects(
      ranker.inspect(pair, { masks: [{ kind: 'token', layers: [3], from: 'all', to: 'all' }] }),
      /mask layer index 3 \(transformer layer 4\) is out of range: the model has transformer layers 1-3/,
    );
    await assert.rejects(
      ranker.score([pair], { headMasks: [{ layer: 0, heads: [2] }] }),
      /head index 2 \(head 3\) is out of range: the model has heads 1-2/,
    );
    await assert.rejects(
      ranker.score([pair], { masks: [{ kind: 'token', layers: [0], from: ['query'], to: 'all' }] }),
      /need pairs with tokens/,
    );
  });
});
