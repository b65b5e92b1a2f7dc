import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { BertGradientModel, type GradientModelOptions } from '../../../src/core/bert/gradientModel';
import { bertForward64 } from '../../reference/bert64';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { referenceConfig, referenceLookup, syntheticPair } from '../../support/model-fixtures';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function checkpoint(spec: CheckpointSpec) {
  const dir = tempDir('grad');
  dirs.push(dir);
  return { dir, written: writeRandomCheckpoint(dir, spec) };
}

const SINGLE: CheckpointSpec = { layers: 2, heads: 2, hidden: 8, intermediate: 12, numLabels: 1, seed: 31 };
const TWO_LABELS: CheckpointSpec = {
  layers: 3,
  heads: 2,
  hidden: 8,
  intermediate: 12,
  numLabels: 2,
  seed: 32,
};

describe('BertGradientModel forward', () => {
  for (const spec of [SINGLE, TWO_LABELS]) {
    it(`hidden states and the score entered at every layer match the float64 reference (${spec.numLabels} labels)`, async () => {
      const { dir, written } = checkpoint(spec);
      const model = await BertGradientModel.load(dir, { threads: 1 });
      try {
        const pair = syntheticPair(2, 4, 50, 5);
        const ref = bertForward64(
          referenceConfig(spec),
          referenceLookup(written),
          pair.inputIds,
          pair.tokenTypeIds,
          pair.attentionMask,
        );
        const states = await model.hiddenStates([pair.inputIds], [pair.tokenTypeIds]);
        assert.equal(states.length, spec.layers + 1);
        states.forEach((state, k) => {
          const expected = ref.hidden[k].flat();
          const worst = Math.max(...expected.map((v, i) => Math.abs(v - state[i])));
          assert.ok(worst < 1e-4, `layer ${k}: max difference ${worst}`);
        });
        for (let k = 0; k <= spec.layers; k++) {
          const { scores } = await model.scoresAndGradients(k, states[k], 1);
          assert.ok(Math.abs(scores[0] - ref.score) < 1e-4, `entered at ${k}: ${scores[0]} vs ${ref.score}`);
        }
      } finally {
        await model.dispose();
      }
    });
  }
});

/**
 * Central differences of the score in float32 (step 1e-2), every element of the injected state at once
 * (one batch of perturbed points). Gradients here are small (|FD| ~ 0.03-0.5) so the bound is relative:
 * 1e-2 * max |FD|. Float32 noise in the FD is ~6e-8 * |score| / 1e-2 ~ 1e-5 (measured errors 5e-6 - 2e-5).
 */
async function expectGradientMatchesFiniteDifferences(
  spec: CheckpointSpec,
  layer: number,
  options: GradientModelOptions = {},
) {
  const { dir } = checkpoint(spec);
  const model = await BertGradientModel.load(dir, { threads: 1, batchSize: 64, ...options });
  try {
    const pair = syntheticPair(2, 3, 50, 9);
    const states = await model.hiddenStates([pair.inputIds], [pair.tokenTypeIds]);
    const x = states[layer];
    const { gradients } = await model.scoresAndGradients(layer, x, 1);
    const n = x.length;
    const step = 1e-2;
    const points = new Float32Array(2 * n * n);
    const steps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      points.set(x, 2 * i * n);
      points.set(x, (2 * i + 1) * n);
      points[2 * i * n + i] = x[i] + step;
      points[(2 * i + 1) * n + i] = x[i] - step;
      steps[i] = points[2 * i * n + i] - points[(2 * i + 1) * n + i];
    }
    const { scores } = await model.scoresAndGradients(layer, points, 2 * n);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      const fd = (scores[2 * i] - scores[2 * i + 1]) / steps[i];
      worst = Math.max(worst, Math.abs(fd - gradients[i]));
      scale = Math.max(scale, Math.abs(fd));
    }
    if (process.env.VJP_VERBOSE)
      console.log(`layer ${layer}: error ${worst.toExponential(2)} scale ${scale}`);
    assert.ok(scale > 1e-3, `the score should depend on layer ${layer}'s state (scale ${scale})`);
    assert.ok(worst <= 1e-2 * scale, `layer ${layer}: max error ${worst}, scale ${scale}`);
  } finally {
    await model.dispose();
  }
}

describe('BertGradientModel gradient against finite differences', () => {
  it('k = 0 (embedding output), single logit', () => expectGradientMatchesFiniteDifferences(SINGLE, 0));
  it('k = L (after the last layer, head only), single logit', () =>
    expectGradientMatchesFiniteDifferences(SINGLE, SINGLE.layers));
  it('k = 1 of 3, two labels (softmax score)', () => expectGradientMatchesFiniteDifferences(TWO_LABELS, 1));
  it('k = 0 of 3, two labels', () => expectGradientMatchesFiniteDifferences(TWO_LABELS, 0));
  it('k = 1 of 3, two labels, chains reading their weights as inputs (a model too big to bake them in)', () =>
    expectGradientMatchesFiniteDifferences(TWO_LABELS, 1, { bakedWeightBytes: 0 }));
});

/** Two float32 computations of one gradient: equal to 1e-5 of its largest element, which is not zero. */
function expectSameGradients(expected: Float32Array, actual: Float32Array, what: string): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(scale > 0, `${what}: the gradient is not all zero`);
  expected.forEach((v, i) =>
    assert.ok(Math.abs(v - actual[i]) <= 1e-5 * scale, `${what}, element ${i}: ${v} vs ${actual[i]}`),
  );
}

describe('BertGradientModel.gradientsAtEveryLayer', () => {
  it("gives each layer's gradient at the states it computes, as that layer's own chain does", async () => {
    const { dir } = checkpoint(TWO_LABELS);
    const model = await BertGradientModel.load(dir, { threads: 1 });
    try {
      const pairs = [syntheticPair(2, 5, 50, 13), syntheticPair(2, 5, 50, 14)];
      const states = await model.hiddenStates(
        pairs.map((p) => p.inputIds),
        pairs.map((p) => p.tokenTypeIds),
      );
      const every = await model.gradientsAtEveryLayer(states[0], pairs.length);
      assert.equal(every.gradients.length, TWO_LABELS.layers);
      for (let layer = 0; layer < TWO_LABELS.layers; layer++) {
        const own = await model.scoresAndGradients(layer, states[layer], pairs.length);
        own.scores.forEach((s, i) => assert.ok(Math.abs(s - every.scores[i]) <= 1e-5, `score ${i}`));
        expectSameGradients(own.gradients, every.gradients[layer], `layer ${layer}`);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('BertGradientModel chains with weights baked in or read as inputs', () => {
  it('give the same scores and gradients at every layer', async () => {
    const { dir } = checkpoint(TWO_LABELS);
    const baked = await BertGradientModel.load(dir, { threads: 1 });
    const inputs = await BertGradientModel.load(dir, { threads: 1, bakedWeightBytes: 0 });
    try {
      const pair = syntheticPair(2, 5, 50, 11);
      const states = await baked.hiddenStates([pair.inputIds], [pair.tokenTypeIds]);
      for (let layer = 0; layer <= TWO_LABELS.layers; layer++) {
        const a = await baked.scoresAndGradients(layer, states[layer], 1);
        const b = await inputs.scoresAndGradients(layer, states[layer], 1);
        assert.ok(
          Math.abs(a.scores[0] - b.scores[0]) <= 1e-6,
          `layer ${layer}: ${a.scores[0]} vs ${b.scores[0]}`,
        );
        expectSameGradients(a.gradients, b.gradients, `layer ${layer}`);
      }
    } finally {
      await baked.dispose();
      await inputs.dispose();
    }
  });
});
