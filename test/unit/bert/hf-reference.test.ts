// RankLens against Hugging Face transformers' own BertForSequenceClassification (test/reference/hf_bert.py, float64,
// eager attention) and HF tokenizers: the logits and every layer's attention probabilities of generated checkpoints
// in each stored dtype and label count, at the longest position RankLens accepts, and of the bundled model on real
// MS MARCO pairs; and the bundled model's WordPieces against BertTokenizerFast on real queries and passages.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runReference, skipWithoutProjectPython } from '../../support/projectPython';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { DEFAULT_MODEL_DIR, sharedFile } from '../../support/paths';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';

const script = path.resolve(__dirname, '..', '..', 'reference', 'hf_bert.py');

interface HfReply {
  readonly logits?: number[][];
  readonly attentions?: number[][][][][];
  readonly tokens?: { input_ids: number[]; token_type_ids: number[] }[];
}
interface Pair {
  readonly inputIds: number[];
  readonly tokenTypeIds: number[];
}

// float32 against float64: each logit and probability is a chain of a few thousand float32 products and sums,
// whose rounding stays near 1e-6 relative; 1e-5 leaves room for onnxruntime's summation order and catches a
// precision loss of an order of magnitude (an fp16 intermediate, a dropped LayerNorm epsilon, a coarse GELU).
const LOGIT_RELATIVE = 1e-5;
const ATTENTION_ABSOLUTE = 1e-5;
/** Real pairs whose attention maps are compared (each is 6 x 12 x n x n numbers through JSON). */
const ATTENTION_PAIRS = 3;

const SHAPES: CheckpointSpec[] = [
  { layers: 2, heads: 4, hidden: 32, numLabels: 2, dtype: 'F32', seed: 61, maxPositions: 512, vocab: 120 },
  {
    layers: 3,
    heads: 4,
    hidden: 32,
    numLabels: 1,
    dtype: 'F16',
    seed: 32,
    maxPositions: 512,
    vocab: 120,
    prefix: false,
    layerNormEps: 1e-7,
  },
  { layers: 2, heads: 2, hidden: 24, numLabels: 1, dtype: 'BF16', seed: 63, maxPositions: 512, vocab: 120 },
  { layers: 1, heads: 3, hidden: 24, numLabels: 2, dtype: 'F16', seed: 64, maxPositions: 512, vocab: 120 },
];
// Short pairs and one of 512 tokens, the longest the checkpoints' position table allows.
const PAIRS: Pair[] = [syntheticPair(5, 40, 120, 1), syntheticPair(12, 497, 120, 2)].map((p) => ({
  inputIds: Array.from(p.inputIds),
  tokenTypeIds: Array.from(p.tokenTypeIds),
}));

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}

function worstAttentionDifference(ours: Float32Array, theirs: number[][][][], n: number): number {
  let worst = 0;
  theirs.forEach((layer, l) =>
    layer.forEach((head, h) =>
      head.forEach((row, i) =>
        row.forEach((value, j) => {
          const index = ((l * layer.length + h) * n + i) * n + j;
          worst = Math.max(worst, Math.abs(ours[index] - value));
        }),
      ),
    ),
  );
  return worst;
}

const skip = skipWithoutProjectPython();
const dirs: string[] = [];
let generated: HfReply[] = [];

before(() => {
  if (skip) return;
  generated = runReference<HfReply[]>(
    script,
    SHAPES.map((spec) => {
      const dir = tempDir('hf');
      dirs.push(dir);
      writeRandomCheckpoint(dir, spec);
      return {
        dir,
        forward: PAIRS.map((p) => ({ input_ids: p.inputIds, token_type_ids: p.tokenTypeIds })),
        attentions: PAIRS.length,
      };
    }),
  );
});
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('generated checkpoints agree with HF transformers', { skip }, () => {
  SHAPES.forEach((spec, k) => {
    it(`L${spec.layers} H${spec.heads} d${spec.hidden} ${spec.dtype}, ${spec.numLabels} label(s), up to 512 tokens`, async () => {
      const ranker = await Ranker.load(dirs[k], { threads: 1 });
      try {
        // The score graph (padded batch, [CLS]-only last layer) and the inspect graph (one pair, every output).
        const batch = await ranker.score(PAIRS, { batchSize: PAIRS.length });
        batch.forEach((r, i) =>
          generated[k].logits![i].forEach((expected, label) => {
            const error = relativeError(r.logits[label], expected);
            assert.ok(
              error <= LOGIT_RELATIVE,
              `scored pair ${i} logit ${label}: ${r.logits[label]} vs ${expected}`,
            );
          }),
        );
        for (const [i, pair] of PAIRS.entries()) {
          const ours = await ranker.inspect(pair);
          const theirs = generated[k];
          theirs.logits![i].forEach((expected, label) => {
            const error = relativeError(ours.logits[label], expected);
            assert.ok(
              error <= LOGIT_RELATIVE,
              `pair ${i} logit ${label}: ${ours.logits[label]} vs ${expected}`,
            );
          });
          const worst = worstAttentionDifference(
            ours.attentions,
            theirs.attentions![i],
            pair.inputIds.length,
          );
          assert.ok(worst <= ATTENTION_ABSOLUTE, `pair ${i}: max |attention difference| ${worst}`);
        }
      } finally {
        await ranker.dispose();
      }
    });
  });
});

function readTsv(file: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) table.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return table;
}

/** Real DL19 pairs: each query with candidates spread over its BM25 top 100. */
function realPairs(count: number): [string, string][] {
  const queries = readTsv(sharedFile('msmarco', 'dl19_bm25_top100', 'queries.dl19.tsv'));
  const passages = readTsv(sharedFile('msmarco', 'dl19_bm25_top100', 'collection.dl19-bm25-top100.tsv'));
  const run = fs
    .readFileSync(sharedFile('msmarco', 'dl19_bm25_top100', 'run.dl19.bm25-top100.trec'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/));
  const pairs: [string, string][] = [];
  for (let i = 0; pairs.length < count && i < run.length; i += 37) {
    const [qid, , pid] = run[i];
    pairs.push([queries.get(qid)!, passages.get(pid)!]);
  }
  return pairs;
}

describe('the bundled model agrees with HF transformers and tokenizers', { skip }, () => {
  const texts = realPairs(100);
  let reply: HfReply;
  let ranker: Ranker;
  let scored: Pair[];

  before(async () => {
    const encode = loadPairEncoder(DEFAULT_MODEL_DIR, { maxLength: 256 });
    scored = texts.slice(0, 12).map(([q, p]) => {
      const pair = encode(q, p);
      return { inputIds: Array.from(pair.inputIds), tokenTypeIds: Array.from(pair.tokenTypeIds) };
    });
    [reply] = runReference<HfReply[]>(script, [
      {
        dir: DEFAULT_MODEL_DIR,
        forward: scored.map((p) => ({ input_ids: p.inputIds, token_type_ids: p.tokenTypeIds })),
        attentions: ATTENTION_PAIRS,
        tokenize: texts,
        max_length: 256,
      },
    ]);
    ranker = await Ranker.load(DEFAULT_MODEL_DIR, { threads: 1 });
  });
  after(async () => ranker?.dispose());

  it('tokenises 100 real DL19 query/passage pairs exactly as BertTokenizerFast', () => {
    const encode = loadPairEncoder(DEFAULT_MODEL_DIR, { maxLength: 256 });
    texts.forEach(([q, p], i) => {
      const ours = encode(q, p);
      assert.deepEqual(Array.from(ours.inputIds), reply.tokens![i].input_ids, `input ids of pair ${i}`);
      assert.deepEqual(
        Array.from(ours.tokenTypeIds),
        reply.tokens![i].token_type_ids,
        `token types of pair ${i}`,
      );
    });
  });

  it('scores 12 real pairs as transformers does, with a real spread of scores', async () => {
    const results = await ranker.score(scored);
    const expected = reply.logits!.map((l) => l[0]);
    assert.ok(
      Math.max(...expected) - Math.min(...expected) > 2,
      'reference scores should not be near-constant',
    );
    results.forEach((r, i) =>
      assert.ok(
        relativeError(r.score, expected[i]) <= LOGIT_RELATIVE,
        `pair ${i}: ${r.score} vs ${expected[i]}`,
      ),
    );
  });

  it("gives every layer's attention probabilities of 3 real pairs as transformers does", async () => {
    for (const [i, pair] of scored.slice(0, ATTENTION_PAIRS).entries()) {
      const ours = await ranker.inspect(pair);
      const worst = worstAttentionDifference(ours.attentions, reply.attentions![i], pair.inputIds.length);
      assert.ok(worst <= ATTENTION_ABSOLUTE, `pair ${i}: max |attention difference| ${worst}`);
    }
  });
});
