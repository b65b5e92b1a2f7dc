// The shared runs against the unshared ones on real MS MARCO pairs with the bundled default model: head
// importance (the unmasked layers below each head computed once) against each head mask scored on its own by the
// score graph, through the analysis as well as the scorer; Figure 4's shared masked prefixes (which end in the
// [CLS]-only tail) against each depth scored on its own.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../support/checkpoints';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../support/paths';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import type { HeadImportanceResult } from '../../../src/core/analysis/head-importance/headImportance';
import { interactionMasks } from '../../../src/core/analysis/interaction-mask/interactionMask';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { runAnalysis } from '../../../src/core/analysis/runner';
import { Ranker } from '../../../src/core/runtime/ranker';
import type { Scorer } from '../../../src/core/runtime/types';
import type { EncodedPair } from '../../../src/core/text/types';

const SAMPLE = path.join(REPO_ROOT, 'sample-workspace');
// float32 both ways, different kernels (fused Gelu, [CLS]-only last layer): rounding near 1e-6 of a score.
const TOLERANCE = 1e-4;
let root: string;
let ranker: Ranker;
let pairSet: PairSet;
let pairs: EncodedPair[];

before(async () => {
  root = tempDir('shared-prefixes');
  ranker = await Ranker.load(DEFAULT_MODEL_DIR, { threads: 1, cacheDir: path.join(root, 'graphs') });
  pairSet = await loadPairSet({
    collection: path.join(SAMPLE, 'collection.tsv'),
    queries: path.join(SAMPLE, 'queries.dev600-heldout.tsv'),
    qrels: path.join(SAMPLE, 'qrels.dev600-heldout.txt'),
    run: path.join(SAMPLE, 'run.dev600-heldout.bm25.tsv'),
    selection: 'candidates',
    depth: 3,
    sample: 2,
    seed: 3,
  });
  const context = createAnalysisContext(ranker, DEFAULT_MODEL_DIR, TEST_MAX_LENGTH);
  pairs = pairSet.items.flatMap((item) => item.candidates.map((c) => context.encode(item.text, c.text)));
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

function assertClose(actual: readonly number[], expected: readonly number[], label: string): void {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) <= TOLERANCE, `${label}, pair ${i}: ${v} vs ${expected[i]}`),
  );
}

describe('shared prefixes on real pairs with the default model', () => {
  it('scores every head masked alone as the score graph does with that head mask', async () => {
    const { numLayers: L, numHeads: H } = ranker.info;
    const shared = await ranker.scoreByHeadMask(pairs, { batchSize: 3 });
    assert.equal(shared.length, 1 + L * H);
    assertClose(
      shared[0],
      (await ranker.score(pairs)).map((r) => r.score),
      'unmasked',
    );
    let moved = 0;
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const naive = (await ranker.score(pairs, { headMasks: [{ layer: l, heads: [h] }] })).map(
          (r) => r.score,
        );
        assertClose(shared[1 + l * H + h], naive, `head ${l}.${h}`);
        if (naive.some((v, i) => Math.abs(v - shared[0][i]) > 100 * TOLERANCE)) moved++;
      }
    }
    // Masking a head changes scores: equal results are not the unmasked scores copied.
    assert.ok(moved > (L * H) / 2, `${moved} of ${L * H} head masks moved a score`);
  });

  it('gives the same head-importance result with and without the shared layers', async () => {
    const run = async (scorer: Scorer, name: string) => {
      const context = createAnalysisContext(scorer, DEFAULT_MODEL_DIR, TEST_MAX_LENGTH);
      const outcome = await runAnalysis(
        createAnalysis('head-importance'),
        pairSet,
        context,
        testRunnerOptions(ranker.info, path.join(root, name)),
      );
      return outcome.result?.result as unknown as HeadImportanceResult;
    };
    const unshared: Scorer = {
      info: ranker.info,
      score: (p, o) => ranker.score(p, o),
      attentionSums: (p, o) => ranker.attentionSums(p, o),
      scoreByMaskDepth: (p, m, o) => ranker.scoreByMaskDepth(p, m, o),
    };
    const shared = await run(ranker, 'shared');
    const naive = await run(unshared, 'naive');
    assert.equal(shared.pairs, pairs.length);
    assert.deepEqual(shared.perQuery, naive.perQuery);
    shared.heads.forEach((layer, l) =>
      layer.forEach((head, h) => {
        assert.equal(head.mrr10, naive.heads[l][h].mrr10, `head ${l}.${h}`);
        assert.ok(Math.abs(head.meanScoreChange - naive.heads[l][h].meanScoreChange) <= TOLERANCE);
      }),
    );
  });

  for (const kind of ['attention', 'token'] as const) {
    it(`scores each depth of a Figure 4 ${kind} mask as the score graph does with the mask in that many layers`, async () => {
      const L = ranker.info.numLayers;
      const masks = interactionMasks('both', kind);
      const shared = await ranker.scoreByMaskDepth(pairs, masks, { batchSize: 3 });
      const naive: number[][] = [];
      for (let depth = 0; depth <= L; depth++) {
        const layered = masks.map((m) => ({ ...m, layers: [...Array(depth).keys()] }));
        naive.push((await ranker.score(pairs, depth === 0 ? {} : { masks: layered })).map((r) => r.score));
        assertClose(shared[depth], naive[depth], `depth ${depth}`);
      }
      // Starting deeper (the masked chain's first layers then run alone) gives the same depths.
      for (const fromDepth of [1, L - 1, L]) {
        const deeper = await ranker.scoreByMaskDepth(pairs, masks, { batchSize: 3, fromDepth });
        assert.equal(deeper.length, L + 1 - fromDepth);
        deeper.forEach((s, d) =>
          assertClose(s, naive[fromDepth + d], `from ${fromDepth}, depth ${fromDepth + d}`),
        );
      }
      // The mask's [CLS] row in the last layer (what the [CLS]-only masked tail applies) moves scores: depth L
      // agreeing is not depth L - 1 copied.
      assert.ok(
        naive[L].some((v, i) => Math.abs(v - naive[L - 1][i]) > 100 * TOLERANCE),
        "the last layer's mask moves a score",
      );
    });
  }
});
