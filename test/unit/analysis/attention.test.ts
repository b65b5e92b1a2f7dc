import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_MAX_LENGTH, testRunnerOptions } from '../../support/analysisRuns';
import { tempDir, type CheckpointSpec, type WrittenCheckpoint } from '../../support/checkpoints';
import { referenceForward } from '../../support/model-fixtures';
import { writeTinyModelAndDataset } from '../../support/tinyDataset';
import { describeModel } from '../../../src/core/analysis/analysis';
import {
  attentionAnalysis,
  ATTENTION_STATISTICS,
  type AttentionResult,
} from '../../../src/core/analysis/attention/attention';
import { createAnalysisContext } from '../../../src/core/analysis/context';
import { loadPairSet, type PairSet } from '../../../src/core/analysis/pairSet';
import { createAnalysis } from '../../../src/core/analysis/registry';
import { runAnalysis, type ResultFile } from '../../../src/core/analysis/runner';
import { attentionSection } from '../../../src/core/analysis/attention/report';
import { LIGHT_PALETTE } from '../../../src/core/report/sections';
import { Ranker } from '../../../src/core/runtime/ranker';
import { ATTENTION_KINDS, type AttentionSums } from '../../../src/core/runtime/attentionKinds';
import type { Scorer } from '../../../src/core/runtime/types';
import { meanInterval } from '../../../src/core/eval/significance';
import { mulberry32 } from '../../../src/core/random';
import { RankerWorkerClient } from '../../../src/worker/client';
import { encodePair, loadTokenizer } from '../../../src/core/text';

const spec: CheckpointSpec = { layers: 3, heads: 2, hidden: 16, numLabels: 2, seed: 57 };
let root: string;
let modelDir: string;
let written: WrittenCheckpoint;
let ranker: Ranker;
let pairSet: PairSet;

before(async () => {
  root = tempDir('attention');
  const tiny = writeTinyModelAndDataset(root, spec, { queries: 9, candidates: 4, seed: 3 });
  ({ modelDir, written } = tiny);
  ranker = await Ranker.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
  pairSet = await loadPairSet({ ...tiny.files, selection: 'relevant', minRelevance: 1 });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

async function run(scorer: Scorer, dir: string): Promise<AttentionResult> {
  const outcome = await runAnalysis(
    createAnalysis('attention'),
    pairSet,
    createAnalysisContext(scorer, modelDir, TEST_MAX_LENGTH),
    testRunnerOptions(ranker.info, path.join(root, dir), { chunkPairs: 4 }),
  );
  return outcome.result?.result as unknown as AttentionResult;
}

describe('attention distribution (Figure 1)', () => {
  it("equals the statistics computed from a float64 BERT's full attention matrices", async () => {
    const result = await run(ranker, 'in-process');
    const tokenizer = loadTokenizer(modelDir);
    // Written out from the full [L][H][n][n] reference attentions, by token role.
    type Role = 'cls' | 'sepMiddle' | 'sepFinal' | 'query' | 'document' | 'period';
    const expected = new Map<string, number[]>(); // statistic -> [l * H + h] sums over pairs
    const chance = new Map<string, number>();
    const count = new Map<string, number>();
    const pairMeans = new Map<string, number[][]>(); // statistic -> [pair][layer] mean over heads
    const stats: Record<string, [Role[], Role[]]> = {
      toCls: [['cls', 'sepMiddle', 'sepFinal', 'query', 'document', 'period'], ['cls']],
      toSep: [
        ['cls', 'sepMiddle', 'sepFinal', 'query', 'document', 'period'],
        ['sepMiddle', 'sepFinal'],
      ],
      toSepMiddle: [['cls', 'sepMiddle', 'sepFinal', 'query', 'document', 'period'], ['sepMiddle']],
      toPeriods: [['cls', 'sepMiddle', 'sepFinal', 'query', 'document', 'period'], ['period']],
      queryToQuery: [['query'], ['query']],
      queryToDocument: [['document', 'period'], ['query']],
      documentToQuery: [['query'], ['document', 'period']],
      documentToDocument: [
        ['document', 'period'],
        ['document', 'period'],
      ],
    };
    let pairs = 0;
    for (const item of pairSet.items) {
      for (const c of item.candidates) {
        const pair = encodePair(tokenizer, item.text, c.text, { maxLength: TEST_MAX_LENGTH });
        const roles: Role[] = pair.tokens.map((t) =>
          t.kind === 'sep'
            ? t.segment === 0
              ? 'sepMiddle'
              : 'sepFinal'
            : t.kind === 'doc'
              ? 'document'
              : (t.kind as Role),
        );
        const ref = referenceForward(spec, written, pair);
        pairs++;
        for (const [name, [rows, keys]] of Object.entries(stats)) {
          const rowIdx = roles.flatMap((r, i) => (rows.includes(r) ? [i] : []));
          const keyIdx = roles.flatMap((r, j) => (keys.includes(r) ? [j] : []));
          if (rowIdx.length === 0) continue;
          const sums = expected.get(name) ?? new Array<number>(spec.layers * spec.heads).fill(0);
          const layerMeans = new Array<number>(spec.layers).fill(0);
          for (let l = 0; l < spec.layers; l++) {
            for (let h = 0; h < spec.heads; h++) {
              let mass = 0;
              for (const i of rowIdx) for (const j of keyIdx) mass += ref.attentions[l][h][i][j];
              sums[l * spec.heads + h] += mass / rowIdx.length;
              layerMeans[l] += mass / rowIdx.length / spec.heads;
            }
          }
          pairMeans.set(name, [...(pairMeans.get(name) ?? []), layerMeans]);
          expected.set(name, sums);
          chance.set(name, (chance.get(name) ?? 0) + keyIdx.length / roles.length);
          count.set(name, (count.get(name) ?? 0) + 1);
        }
      }
    }
    assert.equal(result.pairs, pairs);
    assert.ok(pairs >= 9);
    for (const name of Object.keys(stats) as (keyof AttentionResult['statistics'])[]) {
      const got = result.statistics[name];
      const n = count.get(name) as number;
      assert.equal(got.pairs, n, name);
      for (let l = 0; l < spec.layers; l++) {
        for (let h = 0; h < spec.heads; h++) {
          const want = (expected.get(name) as number[])[l * spec.heads + h] / n;
          // The graph sums float32 probabilities over at most 64 x 64 positions per kind pair (relative error
          // up to ~4096 * 2^-24 = 2.4e-4 in the worst case, ~1e-6 in practice); 1e-5 on means of size ~0.1-1.
          assert.ok(
            Math.abs(got.perHead[l][h] - want) < 1e-5,
            `${name} ${l}.${h}: ${got.perHead[l][h]} vs ${want}`,
          );
        }
      }
      assert.ok(Math.abs(got.chance - (chance.get(name) as number) / n) < 1e-12, `${name} chance`);
      // The interval resamples pairs' means over heads: the same resamples of the reference's values give the
      // same bounds up to the float32 sums' error above.
      for (let l = 0; l < spec.layers; l++) {
        const want = meanInterval((pairMeans.get(name) as number[][]).map((m) => m[l]));
        const interval = got.meanOverHeadsIntervals[l];
        for (const bound of ['mean', 'lower', 'upper'] as const)
          assert.ok(Math.abs(interval[bound] - want[bound]) < 1e-5, `${name} layer ${l} ${bound}`);
        assert.ok(interval.lower < interval.upper, `${name} layer ${l}: a zero-width interval`);
      }
    }
    // Every token's attention goes somewhere: the five key kinds share all of it.
    const s = result.statistics;
    for (let l = 0; l < spec.layers; l++) {
      for (let h = 0; h < spec.heads; h++) {
        const total =
          s.toCls.perHead[l][h] +
          s.toSep.perHead[l][h] +
          s.toPeriods.perHead[l][h] +
          s.toQuery.perHead[l][h] +
          s.toDocument.perHead[l][h];
        assert.ok(Math.abs(total - 1) < 1e-5, `layer ${l} head ${h}: ${total}`);
      }
    }
    const chanceTotal =
      s.toCls.chance + s.toSep.chance + s.toPeriods.chance + s.toQuery.chance + s.toDocument.chance;
    assert.ok(Math.abs(chanceTotal - 1) < 1e-12);
  });

  it('gives the same bytes through the worker client', async () => {
    const client = await RankerWorkerClient.load(modelDir, {
      threads: 1,
      cacheDir: path.join(root, 'graphs'),
    });
    try {
      await run(client, 'worker');
    } finally {
      await client.dispose();
    }
    const read = (dir: string) => fs.readFileSync(path.join(root, dir, 'result.json'), 'utf8');
    assert.equal(read('worker'), read('in-process'));
  });

  it('reports layers 1..L and heads 1..H, and the paper by relative depth on this 3-layer model', () => {
    const file = JSON.parse(
      fs.readFileSync(path.join(root, 'in-process', 'result.json'), 'utf8'),
    ) as ResultFile;
    const section = attentionSection(file, LIGHT_PALETTE, {});
    const [header, ...lines] = section.csv.trim().split('\n');
    assert.equal(header, 'statistic,layer,head,share,uniform');
    const layersAndHeads = new Set(lines.map((line) => line.split(',').slice(1, 3).join('.')));
    assert.deepEqual([...layersAndHeads].sort(), ['1.1', '1.2', '2.1', '2.2', '3.1', '3.2']);
    // A chart's title names its blocks once ("query → query", not again as "query -> query").
    assert.equal(
      section.charts.find((c) => c.id === 'attention-queryToQuery')?.title,
      'query → query: query tokens attending to query tokens',
    );
    const series = section.charts[0].option.series as { name: string; data: number[][] }[];
    assert.deepEqual(
      series.find((s) => s.name === 'mean over heads')!.data.map(([x]) => x),
      [1, 2, 3],
    );
    // The paper's layer 12 (of 12) sits at this model's last layer, and the legend says it was moved.
    const paper = series.find((s) => s.name === 'paper (BERT-base, by depth)')!;
    assert.equal(paper.data.at(-1)![0], spec.layers);
    const published = attentionSection(file, LIGHT_PALETTE, { paperLayers: 'published' });
    const publishedSeries = published.charts[0].option.series as { name: string; data: number[][] }[];
    assert.equal(publishedSeries.find((s) => s.name === 'paper (BERT-base)')!.data.at(-1)![0], 12);
  });

  it('accumulates per-head means over 4,096 pairs in float64 (a float32 sum drifts by ~1e-6)', async () => {
    const L = 2;
    const H = 3;
    const K = ATTENTION_KINDS.length;
    const random = mulberry32(4096);
    // Per pair: token counts per kind, and for each (layer, head, row kind) a random distribution of that
    // row kind's attention over the key kinds, times its row count (each row's attention sums to 1).
    const made = Array.from({ length: 4096 }, (): AttentionSums => {
      const kindCounts = [
        1,
        1,
        1,
        1 + Math.floor(random() * 8),
        10 + Math.floor(random() * 40),
        Math.floor(random() * 4),
      ];
      const sums = new Float32Array(L * H * K * K);
      for (let lh = 0; lh < L * H; lh++) {
        for (let r = 0; r < K; r++) {
          const weights = Array.from({ length: K }, () => random());
          const total = weights.reduce((a, b) => a + b, 0);
          weights.forEach((w, k) => (sums[(lh * K + r) * K + k] = (kindCounts[r] * w) / total));
        }
      }
      return { score: 0, kindCounts, sums };
    });
    let served = 0;
    const scorer: Scorer = {
      info: { ...ranker.info, numLayers: L, numHeads: H },
      score: () => Promise.reject(new Error('not used')),
      scoreByMaskDepth: () => Promise.reject(new Error('not used')),
      attentionSums: async (pairs) => {
        const out = made.slice(served, served + pairs.length);
        served += pairs.length;
        return out;
      },
    };
    const items = Array.from({ length: 64 }, (_, q) => ({
      qid: `${q}`,
      text: 'alpha',
      judgements: [],
      candidates: Array.from({ length: 64 }, (_, c) => ({
        pid: `${q * 64 + c}`,
        text: 'bravo.',
        rank: c + 1,
        grade: 1,
      })),
    }));
    const analysis = attentionAnalysis();
    const partial = await analysis.map(
      { index: 0, items },
      { ...createAnalysisContext(scorer, modelDir, TEST_MAX_LENGTH), minRelevance: 1 },
    );
    assert.equal(served, 4096);
    const result = analysis.finish([partial], {
      model: describeModel(scorer.info, 'synthetic'),
      data: {
        selection: 'relevant',
        files: {},
        depth: null,
        sample: null,
        seed: 1,
        minRelevance: 1,
        queries: 64,
        pairs: 4096,
      },
    });
    const { rows, keys } = ATTENTION_STATISTICS.documentToQuery;
    for (let lh = 0; lh < L * H; lh++) {
      let sum = 0;
      for (const p of made) {
        const rowCount = rows.reduce((n, r) => n + p.kindCounts[r], 0);
        let mass = 0;
        for (const r of rows) for (const k of keys) mass += p.sums[(lh * K + r) * K + k];
        sum += mass / rowCount;
      }
      const want = sum / made.length;
      const got = result.statistics.documentToQuery.perHead[Math.floor(lh / H)][lh % H];
      // float64 sums of 4,096 terms in [0, 1]: rounding below 4096 * 2^-53 ~ 5e-13 relative.
      assert.ok(
        Math.abs(got - want) < 1e-12,
        `layer ${Math.floor(lh / H)} head ${lh % H}: ${got} vs ${want}`,
      );
    }
  });
});
