import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPairSet } from '../../../src/core/analysis/pairSet';
import { buildBertGraph } from '../../../src/core/bert/graph';
import { openBertCheckpoint } from '../../../src/core/model/checkpoint';
import { Ranker } from '../../../src/core/runtime/ranker';
import type { EncodedPair } from '../../../src/core/text/types';
import { encodePair } from '../../../src/core/text/pair';
import { loadTokenizer } from '../../../src/core/text/load';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../support/paths';
import { tempDir } from '../../support/tempFiles';

// The bundled model in fp32 and int8 on real DL19 BM25 candidates (the sample workspace's, written from
// ../shared/data/msmarco): int8 moves scores a little and keeps their order; a quantiser with wrong scales,
// a transposed weight or a lost bias would not.
const DATA = path.join(REPO_ROOT, 'sample-workspace');
const QUERIES = 8;
const DEPTH = 12;
/** Largest and mean |int8 - fp32| allowed, in logits (fp32 scores here spread over about 6 logits, sd 1.5). */
const MAX_SCORE_DIFFERENCE = 1.2;
const MEAN_SCORE_DIFFERENCE = 0.3;
/**
 * Per-row activation ranges: the mean and largest |int8 - fp32| on the same pairs. One uint8 scale per call (per
 * tensor) is off by 0.127 on average and 0.49 at most here, so it fails both; a symmetric scale per row is off by
 * 0.050 and 0.26, each row's own [min, max] by 0.045 and 0.25.
 */
const ROW_RANGED_MEAN_DIFFERENCE = 0.06;
const ROW_RANGED_MAX_DIFFERENCE = 0.35;
/**
 * Largest change of an int8 score when the same pairs are scored in another order and other batches: float
 * rounding only, as in fp32 (4.8e-7 here). A scale taken from the whole call moved scores by up to 0.107.
 */
const BATCH_INDEPENDENCE = 1e-5;
/** Rank correlation of the scores over all pairs, and of each query's candidates (Kendall, mean). */
const MIN_SPEARMAN = 0.97;
const MIN_MEAN_KENDALL = 0.85;

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  order.forEach(([, i], rank) => (out[i] = rank));
  return out;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (a.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function kendall(a: readonly number[], b: readonly number[]): number {
  let concordant = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      pairs++;
      concordant += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
    }
  }
  return concordant / pairs;
}

let dir: string;
let pairs: EncodedPair[];
let queryOf: number[];
let fp32: Ranker;
let int8: Ranker;
let exact: number[];
let quantised: number[];

before(async () => {
  dir = tempDir('int8');
  const set = await loadPairSet({
    collection: path.join(DATA, 'collection.tsv'),
    queries: path.join(DATA, 'queries.dl19.tsv'),
    run: path.join(DATA, 'run.dl19.bm25.tsv'),
    selection: 'candidates',
    depth: DEPTH,
  });
  const tokenizer = loadTokenizer(DEFAULT_MODEL_DIR);
  const items = set.items.slice(0, QUERIES);
  pairs = items.flatMap((item) =>
    item.candidates.map((c) => encodePair(tokenizer, item.text, c.text, { maxLength: 256 })),
  );
  queryOf = items.flatMap((item, q) => item.candidates.map(() => q));
  const cacheDir = path.join(dir, 'graphs');
  fp32 = await Ranker.load(DEFAULT_MODEL_DIR, { threads: 1, cacheDir });
  int8 = await Ranker.load(DEFAULT_MODEL_DIR, { threads: 1, cacheDir, precision: 'int8' });
  exact = (await fp32.score(pairs)).map((r) => r.score);
  quantised = (await int8.score(pairs)).map((r) => r.score);
});
after(async () => {
  await fp32?.dispose();
  await int8?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('int8 re-rank precision', () => {
  it('scores real DL19 pairs close to fp32 and in nearly the same order', () => {
    assert.equal(pairs.length, QUERIES * DEPTH);
    const differences = exact.map((s, i) => Math.abs(s - quantised[i]));
    const max = Math.max(...differences);
    const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
    assert.ok(max <= MAX_SCORE_DIFFERENCE, `max |int8 - fp32| ${max}`);
    assert.ok(mean <= MEAN_SCORE_DIFFERENCE, `mean |int8 - fp32| ${mean}`);
    // Not the fp32 graph under another name: quantisation moves every score a little.
    assert.ok(mean > 1e-3, `int8 scores equal fp32 ones (mean difference ${mean})`);
    const rho = spearman(exact, quantised);
    assert.ok(rho >= MIN_SPEARMAN, `Spearman ${rho}`);
    const taus = Array.from({ length: QUERIES }, (_, q) => {
      const own = (v: number[]) => v.filter((_, i) => queryOf[i] === q);
      return kendall(own(exact), own(quantised));
    });
    const meanTau = taus.reduce((a, b) => a + b, 0) / taus.length;
    assert.ok(meanTau >= MIN_MEAN_KENDALL, `mean per-query Kendall ${meanTau} (${taus.join(', ')})`);
  });

  it('quantises activations per row: closer to fp32 than one scale per call can be', () => {
    const differences = exact.map((s, i) => Math.abs(s - quantised[i]));
    const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
    assert.ok(mean <= ROW_RANGED_MEAN_DIFFERENCE, `mean |int8 - fp32| ${mean}`);
    assert.ok(
      Math.max(...differences) <= ROW_RANGED_MAX_DIFFERENCE,
      `max |int8 - fp32| ${Math.max(...differences)}`,
    );
  });

  it('gives a pair the same score whatever shares its batch', async () => {
    // Reversed and cut into batches of 7: each pair meets other pairs, other padding and another batch size.
    const reordered = (await int8.score([...pairs].reverse(), { batchSize: 7 }))
      .map((r) => r.score)
      .reverse();
    const moved = Math.max(...reordered.map((s, i) => Math.abs(s - quantised[i])));
    assert.ok(moved <= BATCH_INDEPENDENCE, `an int8 score moved by ${moved} with its batch`);
    const [alone] = await int8.score([pairs[5]]);
    assert.ok(
      Math.abs(alone.score - quantised[5]) <= BATCH_INDEPENDENCE,
      `alone ${alone.score} vs ${quantised[5]}`,
    );
  });

  it('names its precision, caches its graph apart from fp32, and inspects exactly', async () => {
    assert.equal(int8.info.precision, 'int8');
    assert.equal(fp32.info.precision, undefined);
    const graphs = fs.readdirSync(path.join(dir, 'graphs')).filter((n) => n.endsWith('.onnx'));
    assert.equal(graphs.filter((n) => /^bert-score-int8-[0-9a-f]{32}\.onnx$/.test(n)).length, 1);
    assert.equal(graphs.filter((n) => /^bert-score-[0-9a-f]{32}\.onnx$/.test(n)).length, 1);
    // Inspection never runs quantised: the int8 ranker's inspect score is the fp32 score.
    const [pair] = pairs;
    const [exact] = await fp32.score([pair]);
    const inspected = await int8.inspect(pair);
    assert.ok(Math.abs(inspected.score - exact.score) <= 1e-4 * Math.max(1, Math.abs(exact.score)));
    assert.throws(
      () => buildBertGraph(openBertCheckpoint(DEFAULT_MODEL_DIR), 'inspect', 'int8'),
      /the inspect graph is exact only/,
    );
  });
});
