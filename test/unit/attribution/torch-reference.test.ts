// Gradients and IG attributions against PyTorch autograd in float64 (torch_gradients.py), when python3 has torch.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { baselineIds, integrateLayer, type Baseline } from '../../../src/core/attribution';
import { BertGradientModel } from '../../../src/core/bert/gradientModel';
import type { EncodedToken } from '../../../src/core/text/types';
import { skipWithoutTorch, torchPython } from '../../support/torchPython';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';

const script = path.resolve(__dirname, 'torch_gradients.py');

interface Case {
  readonly spec: CheckpointSpec;
  readonly layer: number;
  readonly baseline: Baseline;
}
const CASES: Case[] = [
  {
    spec: { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 51, range: 0.4 },
    layer: 0,
    baseline: 'empty-query',
  },
  {
    spec: { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 51, range: 0.4 },
    layer: 2,
    baseline: 'empty-document',
  },
  {
    spec: { layers: 3, heads: 4, hidden: 16, numLabels: 2, seed: 52, range: 0.4 },
    layer: 1,
    baseline: 'empty-document',
  },
];
const INTERVALS = 32;
const pair = syntheticPair(3, 6, 50, 4);
const tokens = pair.inputIds.map((id, i): EncodedToken => ({
  text: String(id),
  id,
  kind: i === 0 ? 'cls' : i === 4 || i === pair.inputIds.length - 1 ? 'sep' : i < 4 ? 'query' : 'doc',
  segment: i < 5 ? 0 : 1,
  start: -1,
  end: -1,
}));

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface Ours {
  gradient: Float32Array;
  attributions: number[];
  scoreInput: number;
  scoreBaseline: number;
  request: object;
}
const ours: Ours[] = [];

before(async () => {
  if (skipWithoutTorch()) return;
  for (const c of CASES) {
    const dir = tempDir('torch-grad');
    dirs.push(dir);
    writeRandomCheckpoint(dir, c.spec);
    const model = await BertGradientModel.load(dir, { threads: 1 });
    try {
      const base = baselineIds(tokens, c.baseline, 0);
      const states = await model.hiddenStates([pair.inputIds, base], [pair.tokenTypeIds, pair.tokenTypeIds]);
      const size = states[c.layer].length / 2;
      const x = states[c.layer].slice(0, size);
      const { gradients } = await model.scoresAndGradients(c.layer, x, 1);
      // One fixed 33-point trapezoid, the same rule the reference applies.
      const integral = await integrateLayer(model, c.layer, x, states[c.layer].slice(size), {
        rule: 'trapezoid',
        initialIntervals: INTERVALS,
        maxPoints: INTERVALS + 1,
      });
      ours.push({
        gradient: gradients,
        ...integral,
        request: {
          dir,
          input_ids: pair.inputIds,
          token_type_ids: pair.tokenTypeIds,
          baseline_ids: base,
          layer: c.layer,
          hidden: Array.from(x),
          intervals: INTERVALS,
        },
      });
    } finally {
      await model.dispose();
    }
  }
});

describe('attribution against PyTorch autograd (float64)', { skip: skipWithoutTorch() }, () => {
  it('d score / d hidden at layer k, and the 33-point IG attributions', () => {
    const run = spawnSync(torchPython(), [script], {
      input: JSON.stringify(ours.map((o) => o.request)),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    assert.equal(run.status, 0, run.stderr);
    const reference = JSON.parse(run.stdout) as {
      gradient: number[];
      attributions: number[];
      score: number;
      baseline_score: number;
    }[];
    CASES.forEach((c, i) => {
      const label = `layer ${c.layer} ${c.baseline} (${c.spec.numLabels} labels)`;
      const ref = reference[i];
      const scale = Math.max(...ref.gradient.map(Math.abs));
      const worst = Math.max(...ref.gradient.map((g, j) => Math.abs(g - ours[i].gradient[j])));
      // float32 against float64: measured ~4e-7 of the largest component; the bound is 1e-4.
      assert.ok(scale > 1e-3 && worst <= 1e-4 * scale, `${label}: gradient error ${worst}, scale ${scale}`);
      assert.ok(Math.abs(ref.score - ours[i].scoreInput) < 1e-4, `${label}: F(x)`);
      assert.ok(Math.abs(ref.baseline_score - ours[i].scoreBaseline) < 1e-4, `${label}: F(x')`);
      const attrScale = Math.max(...ref.attributions.map(Math.abs));
      const attrWorst = Math.max(...ref.attributions.map((a, j) => Math.abs(a - ours[i].attributions[j])));
      assert.ok(
        attrWorst <= 1e-4 * attrScale + 1e-6,
        `${label}: attribution error ${attrWorst}, scale ${attrScale}`,
      );
    });
  });
});
