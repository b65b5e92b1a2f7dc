import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  attribute,
  BASELINES,
  baselineIds,
  integrateLayer,
  integrateLayerPaths,
  type LayerAttribution,
} from '../../../src/core/attribution';
import { BertGradientModel } from '../../../src/core/bert/gradientModel';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import type { EncodedPair, EncodedToken } from '../../../src/core/text/types';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { DEFAULT_MODEL_DIR, sharedFile } from '../../support/paths';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function randomModel(spec: CheckpointSpec): string {
  const dir = tempDir('ig');
  dirs.push(dir);
  writeRandomCheckpoint(dir, spec);
  return dir;
}

/** [CLS] q.. [SEP] d.. [SEP] with kinds, segments and made-up offsets. */
function encodedSynthetic(queryLength: number, docLength: number, seed: number): EncodedPair {
  const p = syntheticPair(queryLength, docLength, 50, seed);
  const tokens: EncodedToken[] = p.inputIds.map((id, i) => {
    const special = i === 0 || i === queryLength + 1 || i === p.inputIds.length - 1;
    const segment = i <= queryLength + 1 ? 0 : 1;
    const kind = i === 0 ? 'cls' : special ? 'sep' : segment === 0 ? 'query' : 'doc';
    const local = segment === 0 ? i - 1 : i - queryLength - 2;
    return {
      text: `w${id}`,
      id,
      kind,
      segment,
      start: special ? -1 : 3 * local,
      end: special ? -1 : 3 * local + 2,
    };
  });
  return {
    tokens,
    inputIds: Int32Array.from(p.inputIds),
    tokenTypeIds: Int32Array.from(p.tokenTypeIds),
    attentionMask: Int32Array.from(p.attentionMask),
    queryTruncated: false,
    passageTruncated: false,
    passageTokenCount: docLength,
  };
}

function assertComplete(entry: LayerAttribution, tolerance: number) {
  const delta = entry.scoreInput - entry.scoreBaseline;
  assert.ok(entry.converged, `layer ${entry.layer} ${entry.baseline}: error ${entry.completenessError}`);
  assert.ok(entry.completenessError <= tolerance);
  // Recomputed here from the returned numbers, not taken from the report.
  const sum = entry.attributions.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - delta) <= tolerance * Math.abs(delta) + 1e-6, `sum ${sum} vs delta ${delta}`);
}

/** Layer 0's states of a synthetic pair and of its empty-query baseline: the path the rule tests integrate. */
async function emptyQueryPathAtLayer0(model: BertGradientModel): Promise<[Float32Array, Float32Array]> {
  const pair = encodedSynthetic(3, 6, 6);
  const states = await model.hiddenStates(
    [pair.inputIds, baselineIds(pair.tokens, 'empty-query', 0)],
    [pair.tokenTypeIds, pair.tokenTypeIds],
  );
  const n = states[0].length / 2;
  return [states[0].slice(0, n), states[0].slice(n)];
}

const SPEC: CheckpointSpec = {
  layers: 2,
  heads: 2,
  hidden: 16,
  intermediate: 24,
  numLabels: 1,
  seed: 41,
  range: 0.3,
};

describe('integrated gradients on random checkpoints', () => {
  for (const spec of [SPEC, { ...SPEC, numLabels: 2 as const, layers: 3, seed: 42 }]) {
    it(`completeness within 5% at every layer, both baselines (${spec.layers} layers, ${spec.numLabels} labels)`, async () => {
      const model = await BertGradientModel.load(randomModel(spec), { threads: 1 });
      try {
        const pair = encodedSynthetic(3, 7, 3);
        let progress = 0;
        const [result] = await attribute(model, [pair], BASELINES, {
          onProgress: (done) => (progress = done),
        });
        assert.equal(result.layers.length, 2 * (spec.layers + 1));
        assert.equal(progress, result.layers.length);
        assert.equal(result.tokens.length, pair.tokens.length);
        assert.deepEqual(result.tokens[1], {
          text: pair.tokens[1].text,
          kind: 'query',
          segment: 0,
          start: 0,
          end: 2,
        });
        for (const entry of result.layers) {
          assertComplete(entry, 0.05);
          assert.equal(entry.attributions.length, pair.tokens.length);
          // Every layer's path ends at the same pair: F(x) is the pair's score wherever the path runs.
          assert.ok(Math.abs(entry.scoreInput - result.score) < 1e-4);
        }
      } finally {
        await model.dispose();
      }
    });
  }

  it("shares every layer's path ends (alpha 0, 1) from one layer-0 chain pass: the same attributions as integrating each layer alone, fewer points evaluated", async () => {
    const spec = { ...SPEC, layers: 3, seed: 43 };
    const model = await BertGradientModel.load(randomModel(spec), { threads: 1 });
    try {
      const pair = encodedSynthetic(3, 7, 12);
      const evaluated = new Map<number, number>();
      const scoresAndGradients = model.scoresAndGradients.bind(model);
      model.scoresAndGradients = (layer, points, count, signal) => {
        evaluated.set(layer, (evaluated.get(layer) ?? 0) + count);
        return scoresAndGradients(layer, points, count, signal);
      };
      const endPasses: number[] = [];
      const gradientsAtEveryLayer = model.gradientsAtEveryLayer.bind(model);
      model.gradientsAtEveryLayer = (states, count, signal) => {
        endPasses.push(count);
        return gradientsAtEveryLayer(states, count, signal);
      };
      const [shared] = await attribute(model, [pair]);
      assert.deepEqual(endPasses, [3], 'one pass over the pair and its two baselines');
      const sharedEvaluations = new Map(evaluated);
      evaluated.clear();

      // Each layer on its own, as integrateLayerPaths does without the caller's end gradients.
      const ids = Array.from(pair.inputIds);
      const types = Array.from(pair.tokenTypeIds);
      const states = await model.hiddenStates(
        [ids, ...BASELINES.map((b) => baselineIds(pair.tokens, b, 0))],
        BASELINES.map(() => types).concat([types]),
      );
      const size = ids.length * spec.hidden;
      const row = (k: number, b: number) => states[k].subarray(b * size, (b + 1) * size);
      const ends = await model.scores(spec.layers, states[spec.layers], BASELINES.length + 1);
      for (let layer = 0; layer < spec.layers; layer++) {
        const alone = await integrateLayerPaths(
          model,
          layer,
          BASELINES.map((_, b) => ({
            input: row(layer, 0),
            baseline: row(layer, b + 1),
            scores: { input: ends[0], baseline: ends[b + 1] },
          })),
        );
        const points = alone.map((integral, b) => {
          const entry = shared.layers.find((e) => e.layer === layer && e.baseline === BASELINES[b])!;
          assert.equal(
            entry.points,
            integral.points,
            `layer ${layer} ${BASELINES[b]}: same rule, same points`,
          );
          const scale = Math.max(...integral.attributions.map(Math.abs));
          entry.attributions.forEach((a, t) =>
            assert.ok(
              Math.abs(a - integral.attributions[t]) <= 1e-5 * scale,
              `layer ${layer} ${BASELINES[b]} token ${t}: ${a} vs ${integral.attributions[t]}`,
            ),
          );
          return integral.points;
        });
        // Alone: both baselines' points less their common alpha = 1. Shared: not the two alpha = 0 either,
        // which the one pass of the layer-0 chain gave with alpha = 1.
        const total = points[0] + points[1];
        assert.equal(evaluated.get(layer), total - 1, `layer ${layer} alone`);
        assert.equal(sharedEvaluations.get(layer), total - 4, `layer ${layer} shared`);
      }
    } finally {
      await model.dispose();
    }
  });

  it("after the last layer only [CLS] can matter (the head reads position 0), and it takes all of F(x) - F(x')", async () => {
    const model = await BertGradientModel.load(randomModel(SPEC), { threads: 1 });
    try {
      const [result] = await attribute(model, [encodedSynthetic(2, 5, 4)], BASELINES, {
        layers: [SPEC.layers],
        tolerance: 1e-3,
      });
      for (const entry of result.layers) {
        assert.ok(entry.attributions.slice(1).every((a) => a === 0));
        assertComplete(entry, 1e-3);
      }
    } finally {
      await model.dispose();
    }
  });

  it("x = x' gives exactly zero attributions without integrating (points 0; trapezoid: 1)", async () => {
    const model = await BertGradientModel.load(randomModel(SPEC), { threads: 1 });
    try {
      const pair = encodedSynthetic(2, 4, 5);
      const states = await model.hiddenStates([pair.inputIds], [pair.tokenTypeIds]);
      for (const layer of [0, 1, 2]) {
        const same = await integrateLayer(model, layer, states[layer], states[layer].slice());
        assert.ok(same.attributions.every((a) => a === 0));
        assert.equal(same.sum, 0);
        assert.equal(same.completenessError, 0);
        assert.ok(same.converged);
        // The shortcut: no gradient is evaluated on a path of length zero (adaptive, Gauss–Legendre), or
        // only the one end point that gives F(x) (trapezoid); without it the first pass would spend its points.
        assert.equal(same.points, 0);
        const gauss = await integrateLayer(model, layer, states[layer], states[layer].slice(), {
          rule: 'gauss-legendre',
        });
        assert.equal(gauss.points, 0);
        assert.ok(gauss.attributions.every((a) => a === 0));
        assert.equal(same.scoreInput, same.scoreBaseline);
        const trapezoid = await integrateLayer(model, layer, states[layer], states[layer].slice(), {
          rule: 'trapezoid',
        });
        assert.equal(trapezoid.points, 1);
        // F(x) from the one evaluated point; the gradient run's forward graph is not the score-only one, so
        // the float32 sums may differ in the last bits.
        assert.ok(
          Math.abs(trapezoid.scoreInput - same.scoreInput) <= 1e-6 * Math.max(1, Math.abs(same.scoreInput)),
          `${trapezoid.scoreInput} vs ${same.scoreInput}`,
        );
        assert.ok(trapezoid.attributions.every((a) => a === 0));
      }
    } finally {
      await model.dispose();
    }
  });

  it('Gauss–Legendre: doubles the nodes while completeness fails, with smaller errors; reports when the tolerance is not reached', async () => {
    const model = await BertGradientModel.load(randomModel({ ...SPEC, range: 0.6, seed: 43 }), {
      threads: 1,
    });
    try {
      const [x, baseline] = await emptyQueryPathAtLayer0(model);
      const coarse = await integrateLayer(model, 0, x, baseline, {
        rule: 'gauss-legendre',
        tolerance: 1e-12,
        initialPoints: 1,
        maxPoints: 2,
      });
      assert.equal(coarse.points, 1);
      assert.equal(coarse.converged, false);
      const fine = await integrateLayer(model, 0, x, baseline, {
        rule: 'gauss-legendre',
        tolerance: 1e-12,
        initialPoints: 1,
        maxPoints: 15,
      });
      assert.equal(fine.points, 15); // 1 + 2 + 4 + 8
      assert.equal(fine.converged, false);
      assert.ok(
        fine.completenessError < coarse.completenessError / 10,
        `${fine.completenessError} vs ${coarse.completenessError}`,
      );
      // The same end scores as the trapezoid, whose end points are gradient evaluations.
      const trapezoid = await integrateLayer(model, 0, x, baseline, { rule: 'trapezoid' });
      assert.ok(Math.abs(trapezoid.scoreInput - fine.scoreInput) < 1e-5);
      assert.ok(Math.abs(trapezoid.scoreBaseline - fine.scoreBaseline) < 1e-5);
      // Both rules converge on the same attributions: 12 Gauss–Legendre nodes against 1025 trapezoid points.
      const reference = await integrateLayer(model, 0, x, baseline, {
        rule: 'trapezoid',
        initialIntervals: 1024,
        maxPoints: 1025,
      });
      const gauss = await integrateLayer(model, 0, x, baseline, {
        rule: 'gauss-legendre',
        initialPoints: 12,
        maxPoints: 12,
      });
      const scale = Math.max(...reference.attributions.map(Math.abs));
      gauss.attributions.forEach((a, t) =>
        assert.ok(
          Math.abs(a - reference.attributions[t]) < 1e-3 * scale,
          `token ${t}: ${a} vs ${reference.attributions[t]}`,
        ),
      );
    } finally {
      await model.dispose();
    }
  });

  it('adaptive (default): converges on the 1025-point trapezoid attributions, refining until the panels are within the tolerance', async () => {
    const model = await BertGradientModel.load(randomModel({ ...SPEC, range: 0.6, seed: 43 }), {
      threads: 1,
    });
    try {
      const [x, baseline] = await emptyQueryPathAtLayer0(model);
      const reference = await integrateLayer(model, 0, x, baseline, {
        rule: 'trapezoid',
        initialIntervals: 1024,
        maxPoints: 1025,
      });
      const coarse = await integrateLayer(model, 0, x, baseline, { tolerance: 1e-12, maxPoints: 3 });
      assert.equal(coarse.points, 3, 'the first pass: one Simpson panel');
      assert.equal(coarse.converged, false);
      const fine = await integrateLayer(model, 0, x, baseline, { tolerance: 1e-4 });
      assert.ok(fine.converged && fine.completenessError <= 1e-4, `${fine.completenessError}`);
      assert.ok(fine.points > 3 && fine.points % 2 === 1, `${fine.points} points: 3, then two per split`);
      assert.ok(Math.abs(fine.scoreInput - reference.scoreInput) < 1e-5);
      const scale = Math.max(...reference.attributions.map(Math.abs));
      fine.attributions.forEach((a, t) =>
        assert.ok(
          Math.abs(a - reference.attributions[t]) < 1e-3 * scale,
          `token ${t}: ${a} vs ${reference.attributions[t]}`,
        ),
      );
      // The default tolerance, 5%, needs fewer points than the 1e-4 run.
      const loose = await integrateLayer(model, 0, x, baseline);
      assert.ok(loose.converged && loose.points <= fine.points, `${loose.points} vs ${fine.points}`);
    } finally {
      await model.dispose();
    }
  });

  it('trapezoid: refines by adding midpoints, more points and smaller error', async () => {
    const model = await BertGradientModel.load(randomModel({ ...SPEC, range: 0.6, seed: 43 }), {
      threads: 1,
    });
    try {
      const [x, baseline] = await emptyQueryPathAtLayer0(model);
      const options = { rule: 'trapezoid' as const, tolerance: 1e-9, initialIntervals: 4 };
      const coarse = await integrateLayer(model, 0, x, baseline, { ...options, maxPoints: 5 });
      assert.equal(coarse.points, 5);
      assert.equal(coarse.converged, false);
      const fine = await integrateLayer(model, 0, x, baseline, { ...options, maxPoints: 65 });
      assert.equal(fine.points, 65); // 5 + 4 + 8 + 16 + 32
      assert.equal(fine.converged, false);
      assert.ok(
        fine.completenessError < coarse.completenessError / 4,
        `${fine.completenessError} vs ${coarse.completenessError}`,
      );
    } finally {
      await model.dispose();
    }
  });

  it('baselines replace exactly the query or the passage WordPieces by [PAD]', () => {
    const pair = encodedSynthetic(2, 3, 7);
    const ids = Array.from(pair.inputIds);
    assert.deepEqual(baselineIds(pair.tokens, 'empty-query', 0), [ids[0], 0, 0, ...ids.slice(3)]);
    assert.deepEqual(baselineIds(pair.tokens, 'empty-document', 0), [...ids.slice(0, 4), 0, 0, 0, ids[7]]);
  });

  it('stops with the reason of an aborted signal', async () => {
    const model = await BertGradientModel.load(randomModel(SPEC), { threads: 1, batchSize: 4 });
    try {
      const controller = new AbortController();
      const run = attribute(model, [encodedSynthetic(2, 3, 8)], BASELINES, {
        signal: controller.signal,
        onProgress: () => controller.abort(new Error('cancelled by test')),
      });
      await assert.rejects(run, /cancelled by test/);
    } finally {
      await model.dispose();
    }
  });

  it('rejects layers outside the model', async () => {
    const model = await BertGradientModel.load(randomModel(SPEC), { threads: 1 });
    try {
      await assert.rejects(
        attribute(model, [encodedSynthetic(1, 1, 1)], BASELINES, { layers: [3] }),
        /layer 3 is outside 0-2/,
      );
    } finally {
      await model.dispose();
    }
  });
});

/** The first relevant dev pair (query text, passage text) of the shared MS MARCO subset. */
function realPair(): [string, string] {
  const dir = path.dirname(sharedFile('msmarco', 'dev_small', 'qrels.dev-small-subset.txt'));
  const [qid, , pid] = fs
    .readFileSync(path.join(dir, 'qrels.dev-small-subset.txt'), 'utf8')
    .split('\n')[0]
    .split('\t');
  const find = (file: string, id: string) =>
    fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`${id}\t`))
      ?.split('\t')[1] ?? assert.fail(`${id} not in ${file}`);
  return [find('queries.dev-small-subset.tsv', qid), find('collection.dev-small-relevant-subset.tsv', pid)];
}

describe('integrated gradients on the bundled model', () => {
  const dir = DEFAULT_MODEL_DIR;
  it(
    'completeness within 5% at layers 0, 2 and L for both baselines, on a real MS MARCO pair',
    { skip: !fs.existsSync(dir) },
    async () => {
      const [query, passage] = realPair();
      // 48 WordPieces and three layers keep the test to a few seconds (bench/attribution.ts does 256, all).
      const pair = loadPairEncoder(dir, { maxLength: 48 })(query, passage);
      const model = await BertGradientModel.load(dir, { threads: 2 });
      const ranker = await Ranker.load(dir, { threads: 2 });
      try {
        const [result] = await attribute(model, [pair], BASELINES, { layers: [0, 2, model.numLayers] });
        const [scored] = await ranker.score([pair]);
        assert.ok(Math.abs(result.score - scored.score) < 1e-3, `${result.score} vs Ranker ${scored.score}`);
        for (const entry of result.layers) assertComplete(entry, 0.05);
        assert.ok(
          result.tokens.some(
            (t) => t.kind === 'doc' && t.start >= 0 && passage.slice(t.start, t.end).length > 0,
          ),
        );
      } finally {
        await model.dispose();
        await ranker.dispose();
      }
    },
  );
});
