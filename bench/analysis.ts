// Dataset analyses as multiples of a score-only forward, on the bundled model and on a BERT-base-shaped random
// checkpoint (with the bundled bert-base-uncased vocabulary), over real dev600 BM25 candidates; then the
// paper's scale projected from the measured per-pair costs. Run: npm run bench analysis
// Env: BENCH_QUERIES (bundled model, default 6), BENCH_BASE_QUERIES (BERT-base, default 1), BENCH_DEPTH (20),
// BENCH_THREADS (1; times are CPU seconds), BENCH_SKIP_BASE=1 to skip the BERT-base part.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERT_BASE_SHAPE, tempDir, writeRandomCheckpoint } from '../test/support/checkpoints';
import { createAnalysisContext } from '../src/core/analysis/context';
import {
  interactionMasks,
  type InteractionDirection,
} from '../src/core/analysis/interaction-mask/interactionMask';
import { loadPairSet, type PairSet } from '../src/core/analysis/pairSet';
import { runAnalysisRequestOutcome } from '../src/core/analysis/runRequest';
import { Ranker } from '../src/core/runtime/ranker';

const DATA = process.env.RANKLENS_SHARED_DATA ?? path.resolve(__dirname, '..', '..', 'shared', 'data');
const DEV = path.join(DATA, 'msmarco', 'dev600_bm25_top20');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const depth = Number(process.env.BENCH_DEPTH ?? 20);
const BUNDLED = path.join(__dirname, '..', 'models', 'ranklens-mini');

/**
 * CPU seconds of this process (user + system, onnxruntime's threads included): on a machine shared with other
 * work, wall time mostly measures the others; with one intra-op thread (the default here) CPU time is the work.
 */
const seconds = async (fn: () => Promise<unknown>) => {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** The dev600 files, `queries` of them drawn with seed 7, the run's top `depth`: what every analysis reads. */
function dataFiles(queries: number) {
  return {
    collection: path.join(DEV, 'collection.dev600-bm25-top20.tsv'),
    queries: path.join(DEV, 'queries.dev600.tsv'),
    qrels: path.join(DEV, 'qrels.dev600.txt'),
    run: path.join(DEV, 'run.dev600.bm25-top20.tsv'),
    depth,
    sample: queries,
    seed: 7,
  };
}

async function pairSetOf(queries: number, selection: 'candidates' | 'relevant'): Promise<PairSet> {
  return loadPairSet({ ...dataFiles(queries), selection });
}

interface Measured {
  readonly label: string;
  readonly numLayers: number;
  /** Seconds per pair of a score-only forward (Ranker.score, batched). */
  readonly scorePerPair: number;
  /** Seconds per pair of each analysis, over the pairs it covers. */
  readonly perPair: Record<string, number>;
  readonly interactionShared: number;
  readonly interactionIndependent: number;
}

async function measure(label: string, modelDir: string, queries: number, heads: boolean): Promise<Measured> {
  const root = tempDir('bench-analysis');
  const ranker = await Ranker.load(modelDir, { threads, cacheDir: path.join(root, 'graphs') });
  try {
    const { numLayers: L } = ranker.info;
    const candidates = await pairSetOf(queries, 'candidates');
    const relevant = await pairSetOf(queries, 'relevant');
    const context = createAnalysisContext(ranker, modelDir, 256);
    const pairs = candidates.items.flatMap((item) =>
      item.candidates.map((c) => context.encode(item.text, c.text)),
    );
    const n = pairs.length;
    const tokens = pairs.reduce((s, p) => s + p.inputIds.length, 0) / n;
    console.log(
      `\n${label}: ${L} layers, ${candidates.items.length} queries, ${n} candidate pairs (mean ${tokens.toFixed(0)} tokens), ${relevant.description.pairs} relevant pairs, ${threads} threads`,
    );
    await ranker.score(pairs.slice(0, 2)); // session warm-up
    await ranker.attentionSums(pairs.slice(0, 2));
    await ranker.scoreByMaskDepth(pairs.slice(0, 2), interactionMasks('both', 'attention'));
    const scoreTime = await seconds(() => ranker.score(pairs));
    const attentionTime = await seconds(() => ranker.attentionSums(pairs));
    const scorePerPair = scoreTime / n;
    console.log(
      `score-only forward: ${(scorePerPair * 1000).toFixed(1)} ms/pair (${(1 / scorePerPair).toFixed(1)} pairs/s)`,
    );
    console.log(
      `attention sums in the graph: ${((attentionTime / n) * 1000).toFixed(1)} ms/pair = ${(attentionTime / scoreTime).toFixed(2)}x score-only`,
    );

    // Interaction masks: shared prefixes (as the analysis runs them) vs each (direction, depth) on its own.
    const directions: InteractionDirection[] = ['query-to-document', 'document-to-query', 'both'];
    const interactionShared = await seconds(async () => {
      for (const [d, direction] of directions.entries())
        await ranker.scoreByMaskDepth(pairs, interactionMasks(direction, 'attention'), {
          fromDepth: d === 0 ? 0 : 1,
        });
    });
    const interactionIndependent = await seconds(async () => {
      await ranker.score(pairs);
      for (const direction of directions) {
        for (let i = 1; i <= L; i++) {
          const masks = interactionMasks(direction, 'attention').map((m) => ({
            ...m,
            layers: [...Array(i).keys()],
          }));
          await ranker.score(pairs, { masks });
        }
      }
    });
    console.log(
      `interaction masks, all ${3 * L + 1} settings: shared prefixes ${interactionShared.toFixed(1)} CPU s, independent ${interactionIndependent.toFixed(1)} CPU s: ${(interactionShared / interactionIndependent).toFixed(2)}x`,
    );

    const perPair: Record<string, number> = {};
    const names = [
      'rerank',
      'attention',
      'period-mask',
      'interaction-mask',
      ...(heads ? ['head-importance'] : []),
    ];
    for (const name of names) {
      const count = (name === 'attention' ? relevant : candidates).description.pairs;
      // CPU seconds from the moment the pair set is loaded: the analysis, not the reading of the files.
      let start = process.cpuUsage();
      await runAnalysisRequestOutcome(
        { name, settings: {}, data: dataFiles(queries), dir: path.join(root, name), maxLength: 256 },
        ranker,
        { modelName: label, onPairSet: () => (start = process.cpuUsage()) },
      );
      const used = process.cpuUsage(start);
      const t = (used.user + used.system) / 1e6;
      perPair[name] = t / count;
      console.log(
        `analyze ${name.padEnd(17)} ${count} pairs in ${t.toFixed(1)} CPU s: ${(count / t).toFixed(2)} pairs/s = ${(t / count / scorePerPair).toFixed(2)}x a score-only forward per pair`,
      );
    }
    return { label, numLayers: L, scorePerPair, perPair, interactionShared, interactionIndependent };
  } finally {
    await ranker.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function project(base: Measured): void {
  // Zhan et al.: 6,980 dev queries x 1,000 BM25 candidates (they re-ranked the top 100), BERT-base.
  const pairs = 6980 * 1000;
  const relevantPairs = 7437;
  const days = (s: number) => `${(s / 86400).toFixed(1)} days`;
  const t = base.scorePerPair;
  const rerank = pairs * t;
  const interaction = pairs * base.perPair['interaction-mask'];
  const settings40 = pairs * t * 40;
  console.log(
    `\nprojection to the paper's scale on this machine (BERT-base, measured ${(t * 1000).toFixed(0)} ms/pair score-only):`,
  );
  console.log(
    `  re-rank 6,980 x 1,000 = ${pairs.toLocaleString()} pairs: ${days(rerank)} (top 100 as the paper: ${days(rerank / 10)})`,
  );
  console.log(
    `  ~40 mask settings run independently: ${days(settings40)}; interaction masks (${3 * base.numLayers + 1} settings) with shared prefixes: ${days(interaction)} (top 100: ${days(interaction / 10)})`,
  );
  console.log(
    `  attention statistics over the ${relevantPairs.toLocaleString()} relevant dev pairs: ${((relevantPairs * (base.perPair.attention ?? t)) / 3600).toFixed(1)} h`,
  );
}

async function main() {
  if (process.argv[2] === '--generate') {
    writeRandomCheckpoint(process.argv[3], BERT_BASE_SHAPE);
    fs.copyFileSync(path.join(BUNDLED, 'vocab.txt'), path.join(process.argv[3], 'vocab.txt'));
    return;
  }
  console.log(
    `machine: 2 cores shared with other work; times are CPU seconds of this process (${threads} onnxruntime thread(s)), not wall time`,
  );
  await measure('ranklens-mini', BUNDLED, Number(process.env.BENCH_QUERIES ?? 6), true);
  if (process.env.BENCH_SKIP_BASE) return;
  const root = tempDir('bench-base');
  try {
    const dir = path.join(root, 'model');
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--generate', dir], {
      stdio: 'inherit',
    });
    if (child.status !== 0) throw new Error('checkpoint generation failed');
    const base = await measure(
      'BERT-base shape (random weights)',
      dir,
      Number(process.env.BENCH_BASE_QUERIES ?? 1),
      false,
    );
    project(base);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
