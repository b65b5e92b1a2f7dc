import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReferenceMasks } from '../../reference/bert64';
import { referenceMrr10, referenceReciprocalRank } from '../../reference/mrr10';
import { comparePaired } from '../../../src/core/eval/significance';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset } from '../../support/tinyDataset';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import {
  interactionMaskAnalysis,
  interactionMasks,
  type InteractionDirection,
  type InteractionResult,
} from '../../../src/core/analysis/interactionMask';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { reciprocalRank } from '../../../src/core/analysis/ranking';
import { runAnalysis } from '../../../src/core/analysis/runner';
import { Ranker } from '../../../src/core/runtime/ranker';
import { RankerWorkerClient } from '../../../src/worker/client';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import type { EncodedPair } from '../../../src/core/text/types';

// Model seed 73 with dataset seed 13: the float64 reference's MRR@10 moves from depth 0 to depth 1 in every
// direction (asserted below), so a depth taken from the wrong scores changes the result.
const spec: CheckpointSpec = { layers: 3, heads: 2, hidden: 16, numLabels: 1, seed: 73 };
let root: string;
let modelDir: string;
let written: WrittenCheckpoint;
let ranker: Ranker;
let pairSet: PairSet;
let pairs: EncodedPair[][];

before(async () => {
  root = tempDir('interaction');
  const tiny = writeTinyModelAndDataset(root, spec, { queries: 6, candidates: 5, seed: 13 });
  ({ modelDir, written } = tiny);
  ranker = await Ranker.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs'), batchSize: 4 });
  pairSet = await loadPairSet({ ...tiny.files, selection: 'candidates', minRelevance: 1 });
  const tokenizer = loadTokenizer(modelDir);
  pairs = pairSet.items.map((item) =>
    item.candidates.map((c) => encodePair(tokenizer, item.text, c.text, { maxLength: TEST_MAX_LENGTH })),
  );
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The paper's rule written out: segment 0 ([CLS], query, middle [SEP]) vs segment 1 (passage, final [SEP]). */
function referenceMask(pair: EncodedPair, direction: InteractionDirection, depth: number): ReferenceMasks {
  const side = (i: number) => pair.tokenTypeIds[i];
  const blocked = (i: number, j: number) =>
    (direction !== 'document-to-query' && side(i) === 1 && side(j) === 0) ||
    (direction !== 'query-to-document' && side(i) === 0 && side(j) === 1);
  return { attention: (l, i, j) => (l < depth && blocked(i, j) ? 1 : 0) };
}

const reference = (pair: EncodedPair, masks: ReferenceMasks) =>
  referenceForward(spec, written, pair, masks).score;

const DIRECTIONS: InteractionDirection[] = ['query-to-document', 'document-to-query', 'both'];

describe('interaction masking (Figure 4)', () => {
  it('masks exactly the attentions between the two sides, nothing else', async () => {
    const pair = pairs[0][0];
    const plain = await ranker.inspect(pair);
    const masked = await ranker.inspect(pair, {
      masks: interactionMasks('query-to-document', 'attention').map((m) => ({ ...m, layers: [0] })),
    });
    const n = plain.seqLength;
    let zeroed = 0;
    for (let h = 0; h < plain.numHeads; h++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const at = (h * n + i) * n + j;
          if (pair.tokenTypeIds[i] === 1 && pair.tokenTypeIds[j] === 0) {
            assert.equal(masked.attentions[at], 0);
            if (plain.attentions[at] > 0) zeroed++;
          } else assert.equal(masked.attentions[at], plain.attentions[at], `head ${h} ${i}->${j}`);
        }
      }
    }
    assert.ok(zeroed > 0);
  });

  it('shared-prefix scores equal a float64 BERT masked in the first i layers, for every depth', async () => {
    const flat = pairs.flat().slice(0, 7);
    for (const direction of DIRECTIONS) {
      const byDepth = await ranker.scoreByMaskDepth(flat, interactionMasks(direction, 'attention'));
      assert.equal(byDepth.length, spec.layers + 1);
      const independent = await Promise.all(
        byDepth.map((_, depth) =>
          depth === 0
            ? ranker.score(flat)
            : ranker.score(flat, {
                masks: interactionMasks(direction, 'attention').map((m) => ({
                  ...m,
                  layers: [...Array(depth).keys()],
                })),
              }),
        ),
      );
      byDepth.forEach((scores, depth) =>
        flat.forEach((pair, k) => {
          const want = reference(pair, referenceMask(pair, direction, depth));
          assert.ok(
            Math.abs(scores[k] - want) < 1e-5,
            `${direction} depth ${depth}: ${scores[k]} vs ${want}`,
          );
          assert.ok(Math.abs(independent[depth][k].score - scores[k]) < 1e-5);
        }),
      );
      // The mask matters at the full depth (else this test could not fail).
      assert.ok(byDepth[spec.layers].some((s, k) => Math.abs(s - byDepth[0][k]) > 1e-4));
    }
  });

  it('gives the same depth scores through the worker client', async () => {
    const client = await RankerWorkerClient.load(modelDir, {
      threads: 1,
      cacheDir: path.join(root, 'graphs'),
      batchSize: 4,
    });
    try {
      const flat = pairs.flat().slice(0, 5);
      const masks = interactionMasks('both', 'attention');
      assert.deepEqual(
        await client.scoreByMaskDepth(flat, masks, { fromDepth: 1 }),
        await ranker.scoreByMaskDepth(flat, masks, { fromDepth: 1 }),
      );
    } finally {
      await client.dispose();
    }
  });

  it('gives the MRR@10 of the reference per direction and depth; depth 0 is the unmasked MRR', async () => {
    const outcome = await runAnalysis(
      createAnalysis('interaction-mask'),
      pairSet,
      createAnalysisContext(ranker, modelDir, TEST_MAX_LENGTH),
      testRunnerOptions(ranker.info, path.join(root, 'run'), { chunkPairs: 10 }),
    );
    const result = outcome.result?.result as unknown as InteractionResult;
    const mrrWith = (masksOf: (pair: EncodedPair) => ReferenceMasks) =>
      referenceMrr10(
        pairSet.items.map((item, q) => ({
          pids: item.candidates.map((c) => c.pid),
          grades: item.candidates.map((c) => c.grade),
          scores: pairs[q].map((p) => reference(p, masksOf(p))),
        })),
      );
    const unmasked = mrrWith(() => ({}));
    for (const direction of DIRECTIONS) {
      // Precondition: on this fixture the first masked layer moves MRR@10, so depth 0 and depth 1 differ.
      const depth1 = mrrWith((p) => referenceMask(p, direction, 1));
      assert.notEqual(depth1, unmasked, `${direction}: the fixture's MRR@10 is flat from depth 0 to 1`);
    }
    for (const direction of DIRECTIONS) {
      const got = result.directions[direction].mrr10;
      assert.equal(got.length, spec.layers + 1);
      assert.equal(got[0], unmasked, `${direction} depth 0`);
      for (let depth = 1; depth <= spec.layers; depth++) {
        const want = mrrWith((p) => referenceMask(p, direction, depth));
        assert.ok(
          Math.abs(got[depth] - want) < 1e-12,
          `${direction} depth ${depth}: ${got[depth]} vs ${want}`,
        );
      }
    }
    // Two chunks (chunkPairs 10): the per-query values come back in query order, each depth's test is
    // computed from them against depth 0, and depth 0 carries none.
    assert.deepEqual(
      result.perQuery.qids,
      pairSet.items.map((i) => i.qid),
    );
    for (const direction of DIRECTIONS) {
      const ranks = result.perQuery.reciprocalRanks[direction];
      const depth1 = pairSet.items.map((item, q) =>
        referenceReciprocalRank({
          pids: item.candidates.map((c) => c.pid),
          grades: item.candidates.map((c) => c.grade),
          scores: pairs[q].map((p) => reference(p, referenceMask(p, direction, 1))),
        }),
      );
      depth1.forEach((rr, q) => assert.ok(Math.abs(ranks[1][q] - rr) < 1e-12, `${direction} query ${q}`));
      const { vsUnmasked, intervals } = result.directions[direction];
      assert.equal(vsUnmasked[0], null);
      for (let depth = 1; depth <= spec.layers; depth++)
        assert.deepEqual(vsUnmasked[depth], comparePaired(ranks[0], ranks[depth]));
      assert.equal(intervals.length, spec.layers + 1);
    }
  });

  it("gives every query, in every direction, the unmasked ranker's reciprocal rank at depth 0", async () => {
    const partial = await interactionMaskAnalysis().map(
      { index: 0, items: pairSet.items },
      { ...createAnalysisContext(ranker, modelDir, TEST_MAX_LENGTH), minRelevance: 1 },
    );
    const unmasked = await Promise.all(
      pairSet.items.map(async (item, q) => {
        const scores = (await ranker.score(pairs[q])).map((r) => r.score);
        return reciprocalRank(
          item.candidates.map((c) => c.pid),
          scores,
          item.candidates.map((c) => c.grade),
          1,
        );
      }),
    );
    DIRECTIONS.forEach((direction, d) => {
      const depth0 = partial.reciprocalRanks.map((rr) => rr[d][0]);
      assert.deepEqual(depth0, unmasked, `${direction} depth 0`);
      // Precondition: some query's rank moves at depth 1, so depth-1 scores in place of depth 0 would show.
      const depth1 = partial.reciprocalRanks.map((rr) => rr[d][1]);
      assert.notDeepEqual(depth1, unmasked, `${direction}: no query moves from depth 0 to depth 1`);
    });
  });
});
