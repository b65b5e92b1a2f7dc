// The attention-relevance analysis (the example of adding an analysis: one folder, one registry line) on real
// dev600 queries and the bundled model, against the same statistics written out here from the full
// [L][H][n][n] attention tensors of the inspect graph (not the attention-stats graph the analysis reads).
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../support/checkpoints';
import { REPO_ROOT, sharedFile } from '../../support/paths';
import type { AttentionRelevanceResult } from '../../../src/core/analysis/attention-relevance/attentionRelevance';
import { loadPairSet } from '../../../src/core/analysis/pairSet';
import { runAnalysisRequest } from '../../../src/core/analysis/runRequest';
import { Ranker } from '../../../src/core/runtime/ranker';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import type { TokenKind } from '../../../src/core/text/types';

const MODEL = path.join(REPO_ROOT, 'models', 'ranklens-mini');
const DEV = ['msmarco', 'dev600_bm25_top20'];
const MAX_LENGTH = 128;
let root: string;
let ranker: Ranker;

before(async () => {
  root = tempDir('attention-relevance');
  ranker = await Ranker.load(MODEL, {
    threads: 1,
    cacheDir: path.join(root, 'graphs'),
    maxLength: MAX_LENGTH,
  });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const STATISTICS: Record<string, [TokenKind[], TokenKind[]]> = {
  passageToQuery: [['doc', 'period'], ['query']],
  queryToPassage: [['query'], ['doc', 'period']],
  clsToQuery: [['cls'], ['query']],
  clsToPassage: [['cls'], ['doc', 'period']],
};

describe('attention between query and passage, relevant vs other candidates', () => {
  it('equals the shares computed in float64 from the full attention tensors of real dev600 pairs', async () => {
    const data = {
      collection: sharedFile(...DEV, 'collection.dev600-bm25-top20.tsv'),
      queries: sharedFile(...DEV, 'queries.dev600.tsv'),
      qrels: sharedFile(...DEV, 'qrels.dev600.txt'),
      run: sharedFile(...DEV, 'run.dev600.bm25-top20.tsv'),
      depth: 8,
      sample: 6,
      seed: 3,
    };
    const file = await runAnalysisRequest(
      {
        name: 'attention-relevance',
        settings: {},
        data,
        dir: path.join(root, 'run'),
        maxLength: MAX_LENGTH,
        chunkPairs: 16,
      },
      ranker,
    );
    const result = file.result as unknown as AttentionRelevanceResult;
    assert.match(result.numbering, /^statistics\[s\]\.layers\[l - 1\] is transformer layer l \(1\.\.L;/);

    const pairSet = await loadPairSet({ ...data, selection: 'candidates' });
    const tokenizer = loadTokenizer(MODEL);
    const { numLayers: L, numHeads: H } = ranker.info;
    // Per query: statistic -> [layer] mean over its relevant (resp. other) candidates.
    const perQuery: { relevant: Record<string, number[]>; other: Record<string, number[]> }[] = [];
    let relevantPairs = 0;
    for (const item of pairSet.items) {
      const groups = { relevant: [] as Record<string, number[]>[], other: [] as Record<string, number[]>[] };
      for (const c of item.candidates) {
        const pair = encodePair(tokenizer, item.text, c.text, { maxLength: MAX_LENGTH });
        const inspected = await ranker.inspect(pair);
        const n = inspected.seqLength;
        const kinds = pair.tokens.map((t) => t.kind);
        const values: Record<string, number[]> = {};
        for (const [name, [rowKinds, keyKinds]] of Object.entries(STATISTICS)) {
          const rows = kinds.flatMap((k, i) => (rowKinds.includes(k) ? [i] : []));
          const keys = kinds.flatMap((k, i) => (keyKinds.includes(k) ? [i] : []));
          values[name] = Array.from({ length: L }, (_, l) => {
            let sum = 0;
            for (let h = 0; h < H; h++)
              for (const r of rows)
                for (const k of keys) sum += inspected.attentions[((l * H + h) * n + r) * n + k];
            return sum / rows.length / H;
          });
        }
        (c.grade >= 1 ? groups.relevant : groups.other).push(values);
      }
      relevantPairs += groups.relevant.length;
      if (groups.relevant.length === 0 || groups.other.length === 0) continue;
      const mean = (list: Record<string, number[]>[]) =>
        Object.fromEntries(
          Object.keys(STATISTICS).map((name) => [
            name,
            Array.from({ length: L }, (_, l) => list.reduce((s, v) => s + v[name][l], 0) / list.length),
          ]),
        );
      perQuery.push({ relevant: mean(groups.relevant), other: mean(groups.other) });
    }

    assert.equal(result.queries, pairSet.items.length);
    assert.equal(result.relevantPairs, relevantPairs);
    assert.equal(result.relevantPairs + result.otherPairs, pairSet.description.pairs);
    assert.ok(perQuery.length >= 2, `only ${perQuery.length} sampled queries have a relevant candidate`);
    assert.equal(result.queriesCompared, perQuery.length);
    const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    for (const name of Object.keys(STATISTICS)) {
      const s = result.statistics[name as keyof AttentionRelevanceResult['statistics']];
      assert.equal(s.layers.length, L);
      s.layers.forEach((c, l) => {
        const relevant = average(perQuery.map((q) => q.relevant[name][l]));
        const other = average(perQuery.map((q) => q.other[name][l]));
        assert.ok(
          Math.abs(c.treatment.mean - relevant) < 1e-5,
          `${name} layer ${l + 1} relevant: ${c.treatment.mean} vs ${relevant}`,
        );
        assert.ok(
          Math.abs(c.baseline.mean - other) < 1e-5,
          `${name} layer ${l + 1} other: ${c.baseline.mean} vs ${other}`,
        );
        assert.ok(Math.abs(c.difference.mean - (relevant - other)) < 1e-5);
        assert.equal(c.queries, perQuery.length);
        assert.ok(relevant > 0 && relevant < 1, `${name} layer ${l + 1}: a share, got ${relevant}`);
      });
    }
  });
});
