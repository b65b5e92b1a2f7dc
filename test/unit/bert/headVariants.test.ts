// The head-variants graphs (one call gives a layer's output with each head masked alone) against the head-mask
// graphs with that head's keep set to 0, on the bundled default model's weights and two real, differently long
// MS MARCO pairs (padding included): every variant k must be head k masked, in its place, for every pair.
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../support/paths';
import {
  ATTRIBUTION_IO,
  buildEmbeddingGraph,
  buildLayerGraph,
  buildTailGraph,
  readLayerWeights,
} from '../../../src/core/bert/attributionGraph';
import { openBertCheckpoint, type BertCheckpoint } from '../../../src/core/model/checkpoint';
import type { GraphBuilder } from '../../../src/core/graph/builder';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { loadPairSet } from '../../../src/core/analysis/pairSet';
import { Ranker } from '../../../src/core/runtime/ranker';

// float32 both ways; the variants subtract the masked head's share of W_o instead of omitting it.
const TOLERANCE = 1e-4;
const SAMPLE = path.join(REPO_ROOT, 'sample-workspace');
let checkpoint: BertCheckpoint;
let feeds: { hidden: ort.Tensor; padding: ort.Tensor; size: number };

const session = (g: GraphBuilder) => ort.InferenceSession.create(g.encode('test').toBytes());
/** Every head kept but `head` (none dropped when undefined), for every pair. */
const keepAllBut = (size: number, heads: number, head?: number) => {
  const keep = new Float32Array(size * heads).fill(1);
  if (head !== undefined) for (let p = 0; p < size; p++) keep[p * heads + head] = 0;
  return new ort.Tensor('float32', keep, [size, heads]);
};
const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

before(async () => {
  checkpoint = openBertCheckpoint(DEFAULT_MODEL_DIR);
  const ranker = await Ranker.load(DEFAULT_MODEL_DIR, { threads: 1 });
  const set = await loadPairSet({
    collection: path.join(SAMPLE, 'collection.tsv'),
    queries: path.join(SAMPLE, 'queries.dev600-heldout.tsv'),
    qrels: path.join(SAMPLE, 'qrels.dev600-heldout.txt'),
    run: path.join(SAMPLE, 'run.dev600-heldout.bm25.tsv'),
    selection: 'candidates',
    depth: 2,
    sample: 1,
    seed: 5,
  });
  const context = createAnalysisContext(ranker, DEFAULT_MODEL_DIR, 128);
  const pairs = set.items[0].candidates.map((c) => context.encode(set.items[0].text, c.text));
  await ranker.dispose();
  assert.notEqual(pairs[0].inputIds.length, pairs[1].inputIds.length, 'two lengths, so one pair is padded');
  const n = Math.max(...pairs.map((p) => p.inputIds.length));
  const ids = new BigInt64Array(2 * n);
  const types = new BigInt64Array(2 * n);
  const mask = new BigInt64Array(2 * n);
  pairs.forEach((p, b) =>
    p.inputIds.forEach((id, i) => {
      ids[b * n + i] = BigInt(id);
      types[b * n + i] = BigInt(p.tokenTypeIds[i]);
      mask[b * n + i] = 1n;
    }),
  );
  const embeddings = await session(buildEmbeddingGraph(checkpoint));
  const out = await embeddings.run({
    [ATTRIBUTION_IO.inputIds]: new ort.Tensor('int64', ids, [2, n]),
    [ATTRIBUTION_IO.tokenTypeIds]: new ort.Tensor('int64', types, [2, n]),
  });
  feeds = { hidden: out[ATTRIBUTION_IO.hiddenOut], padding: new ort.Tensor('int64', mask, [2, n]), size: 2 };
});

describe('head-variants graphs on the default model', () => {
  it("give a layer's output with each head masked alone, in head order", async () => {
    const { numHeads: H } = checkpoint.config;
    const fixed = readLayerWeights(checkpoint.weights.layers[1]);
    const variants = await session(buildLayerGraph(checkpoint.config, { headVariants: true, fixed }));
    const masked = await session(buildLayerGraph(checkpoint.config, { headMasked: true, fixed }));
    const input = { [ATTRIBUTION_IO.hidden]: feeds.hidden, [ATTRIBUTION_IO.attentionMask]: feeds.padding };
    const all = (await variants.run(input))[ATTRIBUTION_IO.hiddenOut];
    assert.deepEqual(all.dims, [H, ...feeds.hidden.dims]);
    const data = all.data as Float32Array;
    const per = feeds.hidden.data.length;
    const unmasked = (await masked.run({ ...input, [ATTRIBUTION_IO.headKeep]: keepAllBut(2, H) }))[
      ATTRIBUTION_IO.hiddenOut
    ].data as Float32Array;
    for (let k = 0; k < H; k++) {
      const expected = (await masked.run({ ...input, [ATTRIBUTION_IO.headKeep]: keepAllBut(2, H, k) }))[
        ATTRIBUTION_IO.hiddenOut
      ].data as Float32Array;
      const variant = data.subarray(k * per, (k + 1) * per);
      assert.ok(maxAbsDiff(variant, expected) <= TOLERANCE, `head ${k}: ${maxAbsDiff(variant, expected)}`);
      // Masking head k changes the output far beyond the tolerance: a variant in the wrong place would show.
      assert.ok(maxAbsDiff(expected, unmasked) > 100 * TOLERANCE, `head ${k} changes the layer`);
    }
  });

  it("give the tail's scores with each last-layer head masked alone, head-major", async () => {
    const { numHeads: H, numLayers: L } = checkpoint.config;
    const fixed = readLayerWeights(checkpoint.weights.layers[L - 1]);
    const variants = await session(buildTailGraph(checkpoint, fixed, { headVariants: true }));
    const tail = await session(buildTailGraph(checkpoint, fixed));
    const input = { [ATTRIBUTION_IO.hidden]: feeds.hidden, [ATTRIBUTION_IO.attentionMask]: feeds.padding };
    const scores = (await variants.run(input))[ATTRIBUTION_IO.score].data as Float32Array;
    assert.equal(scores.length, H * feeds.size);
    const expected: number[] = [];
    for (let k = 0; k < H; k++) {
      const out = await tail.run({ ...input, [ATTRIBUTION_IO.headKeep]: keepAllBut(2, H, k) });
      expected.push(...(out[ATTRIBUTION_IO.score].data as Float32Array));
    }
    scores.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) <= TOLERANCE, `score ${i}: ${v} vs ${expected[i]}`),
    );
    // The heads' scores differ from one another: a permuted order would not match.
    assert.ok(new Set(expected.map((v) => v.toFixed(3))).size > H, 'masked heads give different scores');
  });
});
