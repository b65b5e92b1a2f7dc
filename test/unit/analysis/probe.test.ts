import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  MlpProbe,
  newGradients,
  trainProbe,
  trainProbeTokenByToken,
  type ProbeData,
  type ProbeParameters,
} from '../../../src/core/analysis/probing/probe';
import { ProbeBatch } from '../../../src/core/analysis/probing/probeBatch';
import { chanceMrrAt10, mrrAt10 } from '../../../src/core/analysis/probing/probing';
import {
  stopWordsFromDocumentFrequencies,
  ZHAN_STOP_WORDS,
} from '../../../src/core/analysis/probing/stopWords';
import { evaluateRun } from '../../../src/core/eval/metrics';
import type { Qrels } from '../../../src/core/data/qrels';
import type { Run } from '../../../src/core/data/runs';
import { mulberry32 } from '../../../src/core/random';
import { sharedFile } from '../../support/paths';

/** Bags of 1-4 token vectors; label-1 bags have one token shifted along a fixed direction. */
function syntheticBags(examples: number, hidden: number, seed: number, signal: number): ProbeData {
  const random = mulberry32(seed);
  const offsets = [0];
  const values: number[] = [];
  const labels: number[] = [];
  for (let e = 0; e < examples; e++) {
    const label = random() < 0.25 ? 1 : 0;
    const tokens = 1 + Math.floor(random() * 4);
    for (let t = 0; t < tokens; t++) {
      for (let i = 0; i < hidden; i++) {
        const shift = label === 1 && t === 0 && i < 4 ? signal : 0;
        values.push(random() * 2 - 1 + shift);
      }
    }
    offsets.push(offsets[offsets.length - 1] + tokens);
    labels.push(label);
  }
  return {
    hidden,
    offsets: Int32Array.from(offsets),
    values: Float32Array.from(values),
    labels: Uint8Array.from(labels),
  };
}

function lossOf(probe: MlpProbe, data: ProbeData, examples: number[]): number {
  return probe.lossAndGradients(data, examples, newGradients(probe.hidden));
}

describe('MLP probe', () => {
  it('has gradients equal to central finite differences of its loss (float64, no dropout)', () => {
    const hidden = 6;
    const data = syntheticBags(5, hidden, 7, 1);
    // Larger weights than the N(0, 0.02) init, so tanh is in its curved range and max-pool picks vary.
    const probe = new MlpProbe(hidden, 3);
    const random = mulberry32(11);
    for (const w of Object.values(probe.parameters)) for (let i = 0; i < w.length; i++) w[i] = random() - 0.5;
    const examples = [0, 1, 2, 3, 4];
    const gradients = newGradients(hidden);
    probe.lossAndGradients(data, examples, gradients);
    const eps = 1e-6;
    let checked = 0;
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      const p = probe.parameters[name];
      for (let i = 0; i < p.length; i++) {
        const saved = p[i];
        p[i] = saved + eps;
        const up = lossOf(probe, data, examples);
        p[i] = saved - eps;
        const down = lossOf(probe, data, examples);
        p[i] = saved;
        const numeric = (up - down) / (2 * eps);
        assert.ok(
          Math.abs(numeric - gradients[name][i]) <= 1e-7 + 1e-5 * Math.abs(numeric),
          `${name}[${i}]: analytic ${gradients[name][i]}, numeric ${numeric}`,
        );
        checked++;
      }
    }
    assert.equal(checked, hidden * hidden + hidden + 2 * hidden + 2);
  });

  it('learns a separable signal, and lands near chance when trained on shuffled labels', () => {
    const hidden = 16;
    const train = syntheticBags(1600, hidden, 1, 1.5);
    const test = syntheticBags(400, hidden, 2, 1.5);
    const queries = Array.from(test.labels, (_, i) => `q${Math.floor(i / 20)}`);
    const evaluate = (data: ProbeData, seed: number) => {
      const { probe } = trainProbe(data, { learningRate: 3e-3, epochs: 5, seed });
      return mrrAt10(
        queries,
        test.labels,
        Array.from(test.labels, (_, i) => probe.score(test, i)),
      );
    };
    const chance = chanceMrrAt10(queries, test.labels);
    const trained = evaluate(train, 42);
    // One shuffled-label probe is a random readout: it can land above or below chance by luck, since the
    // test bags still carry the signal. Over several shuffles and seeds it must average out to chance.
    const shuffledRuns = [1, 2, 3, 4, 5, 6].map((seed) => {
      const labels = [...train.labels];
      const random = mulberry32(100 + seed);
      for (let i = labels.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [labels[i], labels[j]] = [labels[j], labels[i]];
      }
      return evaluate({ ...train, labels: Uint8Array.from(labels) }, seed);
    });
    const shuffled = shuffledRuns.reduce((a, b) => a + b, 0) / shuffledRuns.length;
    assert.ok(trained > chance + 0.3, `trained ${trained} vs chance ${chance}`);
    assert.ok(
      Math.abs(shuffled - chance) < 0.1,
      `shuffled ${shuffledRuns.map((x) => x.toFixed(3)).join(', ')} vs chance ${chance}`,
    );
  });

  it('training loss falls over the epochs with the authors settings (lr 1e-4)', () => {
    const data = syntheticBags(640, 8, 9, 2);
    const { epochLosses } = trainProbe(data);
    assert.equal(epochLosses.length, 5);
    assert.ok(epochLosses[4] < epochLosses[0], `losses ${epochLosses.join(', ')}`);
  });
});

/** Largest |a - b| over every parameter, relative to the largest |b|. */
function relativeDifference(a: ProbeParameters, b: ProbeParameters): number {
  let difference = 0;
  let size = 0;
  for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
    for (let i = 0; i < a[name].length; i++) {
      difference = Math.max(difference, Math.abs(a[name][i] - b[name][i]));
      size = Math.max(size, Math.abs(b[name][i]));
    }
  }
  return difference / size;
}

describe('batched MLP probe', () => {
  it('has the per-token probe loss and gradients, dropout draws included, on bags of 1-4 tokens', () => {
    const hidden = 12;
    const data = syntheticBags(40, hidden, 21, 1);
    const probe = new MlpProbe(hidden, 5);
    const random = mulberry32(8);
    for (const w of Object.values(probe.parameters)) for (let i = 0; i < w.length; i++) w[i] = random() - 0.5;
    const examples = [3, 0, 17, 9, 25, 31, 12, 39, 6];
    for (const dropout of [0, 0.1]) {
      const expected = newGradients(hidden);
      const expectedLoss = probe.lossAndGradients(data, examples, expected, dropout, mulberry32(99));
      const actual = newGradients(hidden);
      const actualLoss = new ProbeBatch(hidden).lossAndGradients(
        probe.parameters,
        data,
        examples,
        actual,
        dropout,
        mulberry32(99),
      );
      assert.ok(Math.abs(actualLoss - expectedLoss) < 1e-12, `loss ${actualLoss} vs ${expectedLoss}`);
      assert.ok(relativeDifference(actual, expected) < 1e-12, `dropout ${dropout}`);
    }
    const scores = probe.scoreAll(data);
    for (let e = 0; e < data.labels.length; e++)
      assert.ok(Math.abs(scores[e] - probe.score(data, e)) < 1e-14);
  });

  it('trains to the per-token trainer parameters and scores (pooled states and bags, an odd hidden size)', () => {
    // One token per example (what pooling: 'states' trains on): the first token of each bag.
    const bags = syntheticBags(150, 97, 4, 0.5);
    const n = bags.labels.length;
    const values = new Float32Array(n * 97);
    for (let e = 0; e < n; e++)
      values.set(bags.values.subarray(bags.offsets[e] * 97, (bags.offsets[e] + 1) * 97), e * 97);
    const firstTokens: ProbeData = {
      hidden: 97,
      offsets: Int32Array.from({ length: n + 1 }, (_, e) => e),
      values,
      labels: bags.labels,
    };
    for (const data of [firstTokens, syntheticBags(60, 97, 6, 0.5)]) {
      const options = { learningRate: 1e-3, epochs: 3, batchSize: 16 };
      const batched = trainProbe(data, options);
      const reference = trainProbeTokenByToken(data, options);
      assert.ok(relativeDifference(batched.probe.parameters, reference.probe.parameters) < 1e-10);
      batched.epochLosses.forEach((loss, i) => assert.ok(Math.abs(loss - reference.epochLosses[i]) < 1e-10));
      const scores = batched.probe.scoreAll(data);
      for (let e = 0; e < data.labels.length; e++)
        assert.ok(Math.abs(scores[e] - reference.probe.score(data, e)) < 1e-10);
    }
  });
});

describe('MRR@10 of probe scores', () => {
  it('equals the official MS MARCO MRR@10 of the run the scores induce', () => {
    const random = mulberry32(3);
    const queryOf: string[] = [];
    const labels: number[] = [];
    const scores: number[] = [];
    const judgements = new Map<string, Map<string, number>>();
    const rankings = new Map<string, { pid: string; rank: number }[]>();
    for (let q = 0; q < 30; q++) {
      const qid = `${q}`;
      const relevant = new Map<string, number>();
      const list: { pid: string; score: number }[] = [];
      for (let c = 0; c < 20; c++) {
        const label = random() < 0.1 ? 1 : 0;
        const score = random();
        queryOf.push(qid);
        labels.push(label);
        scores.push(score);
        if (label) relevant.set(`${c}`, 1);
        list.push({ pid: `${c}`, score });
      }
      if (relevant.size === 0) relevant.set('999', 1);
      judgements.set(qid, relevant);
      const order = list.map((x, i) => ({ ...x, i })).sort((a, b) => b.score - a.score || a.i - b.i);
      rankings.set(
        qid,
        order.map((x, r) => ({ pid: x.pid, rank: r + 1 })),
      );
    }
    const run: Run = { file: 'probe', format: 'msmarco', rankings, lineCount: 600 };
    const qrels: Qrels = { file: 'qrels', judgements, lineOf: new Map(), count: 0 };
    const official = evaluateRun(run, qrels).mrr;
    assert.ok(Math.abs(mrrAt10(queryOf, labels, scores) - official) < 1e-12);
  });

  it('counts tied scores as a random order among themselves (enumerated)', () => {
    // Scores 0.9, then a 4-way tie holding 1 relevant, then 0.1: ranks 2-5 equally likely.
    const labels = [0, 0, 1, 0, 0, 1];
    const scores = [0.9, 0.5, 0.5, 0.5, 0.5, 0.1];
    const expected = (1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 4;
    assert.ok(Math.abs(mrrAt10(Array(6).fill('q'), labels, scores) - expected) < 1e-12);
  });

  it('chance level equals the mean over all orders of a small list', () => {
    // 5 candidates, 2 relevant: enumerate all 10 placements of the relevant pair.
    let sum = 0;
    let count = 0;
    for (let a = 0; a < 5; a++)
      for (let b = a + 1; b < 5; b++) {
        sum += 1 / (a + 1);
        count++;
      }
    const labels = [1, 1, 0, 0, 0];
    assert.ok(Math.abs(chanceMrrAt10(['q', 'q', 'q', 'q', 'q'], labels) - sum / count) < 1e-12);
  });
});

describe('Zhan et al. stop words', () => {
  it('the bundled list is the top 50 of wordpiece.df.json without punctuation and numbers', () => {
    const frequencies = JSON.parse(
      fs.readFileSync(sharedFile('zhan2020', 'wordpiece.df.json'), 'utf8'),
    ) as Record<string, number>;
    assert.deepEqual(stopWordsFromDocumentFrequencies(frequencies), ZHAN_STOP_WORDS);
    assert.ok(!ZHAN_STOP_WORDS.includes('.') && !ZHAN_STOP_WORDS.includes('1'));
  });
});
