// Dataset analyses as multiples of a score-only forward, on the bundled default model and on a BERT-base-shaped
// random checkpoint (with the bundled bert-base-uncased vocabulary), over real dev600 BM25 candidates: first
// each analysis's sharing ratio against its unshared baseline (same process, BENCH_REPEAT times), then the
// paper's scale projected from the measured per-pair costs (CPU-hours and Slurm shards).
// Run: npm run bench analysis
// Env: BENCH_PAIRS (12), BENCH_QUERIES (1), BENCH_DEPTH (20), BENCH_THREADS (1; times are CPU seconds),
// BENCH_REPEAT (2), BENCH_SKIP_BASE=1 to skip the BERT-base score-only forward,
// BENCH_INT8_SPEEDUP (an int8 / fp32 speed-up measured by `npm run bench peers`, to add int8 CPU-hours).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BERT_BASE_SHAPE, tempDir, writeRandomCheckpoint } from '../test/support/checkpoints';
import { createAnalysisContext } from '../src/core/analysis/context';
import {
  interactionMasks,
  type InteractionDirection,
} from '../src/core/analysis/interaction-mask/interactionMask';
import { loadPairSet, type PairSet } from '../src/core/analysis/pairSet';
import { runAnalysisRequestOutcome } from '../src/core/analysis/runRequest';
import { InProcessAnalysisModel } from '../src/core/analysis/inProcessModel';
import { Ranker } from '../src/core/runtime/ranker';
import type { EncodedPair } from '../src/core/text/types';

const DATA = process.env.RANKLENS_SHARED_DATA ?? path.resolve(__dirname, '..', '..', 'shared', 'data');
const DEV = path.join(DATA, 'msmarco', 'dev600_bm25_top20');
const threads = Number(process.env.BENCH_THREADS ?? 1);
const depth = Number(process.env.BENCH_DEPTH ?? 20);
const queries = Number(process.env.BENCH_QUERIES ?? 1);
/** Pairs the sharing ratios are measured on (the naive head importance scores each 1 + L x H times). */
const pairCount = Number(process.env.BENCH_PAIRS ?? 12);
const BUNDLED = path.join(__dirname, '..', 'models', 'ranklens-minilm-l6');

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
  readonly numHeads: number;
  /** CPU seconds per pair of a score-only forward (Ranker.score, batched). */
  readonly scorePerPair: number;
  /** CPU seconds per pair of each analysis's model work, over the pairs it covers. */
  readonly perPair: Record<string, number>;
}

/** The values of each repetition, then their mean. */
const spread = (values: readonly number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const runs = values.length > 1 ? ` (runs ${values.map((v) => v.toFixed(2)).join(', ')})` : '';
  return `${mean.toFixed(2)}x${runs}`;
};
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The sharing ratios, each against its unshared baseline in this process, BENCH_REPEAT times: head importance
 * with the unmasked layers below each head shared vs each of the 1 + L x H settings scored on its own; Figure
 * 4's masked prefixes shared vs each (direction, depth) on its own; the attention statistics vs score-only;
 * the probing states (every layer of every position, the one pass serving every layer and group) vs
 * score-only. Returns the model work per pair of each analysis, for the projection.
 */
async function sharingRatios(
  ranker: Ranker,
  model: InProcessAnalysisModel,
  pairs: EncodedPair[],
): Promise<Record<string, number>> {
  const { numLayers: L, numHeads: H } = ranker.info;
  const repeat = Number(process.env.BENCH_REPEAT ?? 2);
  const directions: InteractionDirection[] = ['query-to-document', 'document-to-query', 'both'];
  const sharedHeads = typeof ranker.scoreByHeadMask === 'function';
  const times: Record<string, number[]> = {
    score: [],
    naiveHeads: [],
    heads: [],
    figure4: [],
    figure4Independent: [],
    attention: [],
    probing: [],
  };
  let headDifference = 0;
  for (let r = 0; r < repeat; r++) {
    const time = async (name: string, fn: () => Promise<unknown>) => {
      const t = await seconds(fn);
      times[name].push(t);
      return t;
    };
    const score = await time('score', () => ranker.score(pairs));
    const naive: number[][] = [];
    await time('naiveHeads', async () => {
      for (let s = 0; s <= L * H; s++) {
        const headMasks = s === 0 ? undefined : [{ layer: Math.floor((s - 1) / H), heads: [(s - 1) % H] }];
        naive.push((await ranker.score(pairs, { headMasks })).map((x) => x.score));
      }
    });
    if (sharedHeads) {
      let shared: number[][] = [];
      await time('heads', async () => (shared = await ranker.scoreByHeadMask(pairs)));
      shared.forEach((row, s) =>
        row.forEach((v, i) => (headDifference = Math.max(headDifference, Math.abs(v - naive[s][i])))),
      );
    }
    await time('figure4', async () => {
      for (const [d, direction] of directions.entries())
        await ranker.scoreByMaskDepth(pairs, interactionMasks(direction, 'attention'), {
          fromDepth: d === 0 ? 0 : 1,
        });
    });
    await time('figure4Independent', async () => {
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
    await time('attention', () => ranker.attentionSums(pairs));
    await time('probing', () =>
      model.statesAt(pairs.map((pair) => ({ pair, positions: [...pair.inputIds.keys()] }))),
    );
    console.log(
      `  run ${r + 1}: score-only ${((score / pairs.length) * 1000).toFixed(1)} ms/pair; naive head importance ${(times.naiveHeads[r] / score).toFixed(1)}x score-only (${1 + L * H} settings)`,
    );
  }
  const ratio = (a: string, b: string) => times[a].map((t, r) => t / times[b][r]);
  console.log(
    `head importance, shared layers below each head / naive (goal <= 0.6): ${sharedHeads ? `${spread(ratio('heads', 'naiveHeads'))}, largest score difference ${headDifference.toExponential(1)}` : '1.00x (no shared path: every setting scored on its own)'}`,
  );
  console.log(
    `Figure 4, shared masked prefixes / independent runs (goal <= 0.6): ${spread(ratio('figure4', 'figure4Independent'))}`,
  );
  console.log(`attention statistics / score-only (goal <= 1.10): ${spread(ratio('attention', 'score'))}`);
  console.log(
    `probing, every layer's states (one pass for every layer and group) / score-only: ${spread(ratio('probing', 'score'))}`,
  );
  const perPair = (name: string) => mean(times[name]) / pairs.length;
  return {
    'head-importance': perPair(sharedHeads ? 'heads' : 'naiveHeads'),
    'interaction-mask': perPair('figure4'),
    attention: perPair('attention'),
    probing: perPair('probing'),
  };
}

async function measure(label: string, modelDir: string, full: boolean): Promise<Measured> {
  const root = tempDir('bench-analysis');
  const ranker = await Ranker.load(modelDir, { threads, cacheDir: path.join(root, 'graphs') });
  const model = InProcessAnalysisModel.wrap(ranker, () => Promise.reject(new Error('no gradients here')));
  try {
    const { numLayers: L, numHeads: H } = ranker.info;
    const candidates = await pairSetOf(queries, 'candidates');
    const context = createAnalysisContext(model, modelDir, 256);
    const pairs = candidates.items
      .flatMap((item) => item.candidates.map((c) => context.encode(item.text, c.text)))
      .slice(0, full ? pairCount : Math.min(pairCount, 8));
    const n = pairs.length;
    const tokens = pairs.reduce((s, p) => s + p.inputIds.length, 0) / n;
    console.log(
      `\n${label}: ${L} layers x ${H} heads, ${n} real dev600 BM25 candidate pairs (mean ${tokens.toFixed(0)} tokens), ${threads} thread(s)`,
    );
    // Every session built and warmed before anything is timed.
    const warm = pairs.slice(0, 2);
    await ranker.score(warm);
    if (full) {
      await ranker.attentionSums(warm);
      await ranker.scoreByMaskDepth(warm, interactionMasks('both', 'attention'));
      if (typeof ranker.scoreByHeadMask === 'function') await ranker.scoreByHeadMask(warm);
      await model.statesAt(warm.map((pair) => ({ pair, positions: [0] })));
    }
    const perPair = full ? await sharingRatios(ranker, model, pairs) : {};
    const scorePerPair = (await seconds(() => ranker.score(pairs))) / n;
    console.log(
      `score-only forward: ${(scorePerPair * 1000).toFixed(1)} ms/pair (${(1 / scorePerPair).toFixed(1)} pairs/s)`,
    );
    if (full) {
      perPair.rerank = scorePerPair;
      // Period masking scores every candidate once and its relevant candidates in each masked setting.
      const set = await pairSetOf(queries, 'candidates');
      const t = await seconds(() =>
        runAnalysisRequestOutcome(
          {
            name: 'period-mask',
            settings: {},
            data: dataFiles(queries),
            dir: path.join(root, 'period-mask'),
            maxLength: 256,
          },
          model,
          { modelName: label },
        ),
      );
      perPair['period-mask'] = t / set.description.pairs;
      console.log(
        `analyze period-mask: ${set.description.pairs} pairs, ${(t / set.description.pairs / scorePerPair).toFixed(2)}x score-only per pair`,
      );
    }
    return { label, numLayers: L, numHeads: H, scorePerPair, perPair };
  } finally {
    await ranker.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Candidate pairs and relevant pairs at the paper's scale (Zhan et al.: 6,980 dev queries x BM25 top 1,000). */
const PAPER_PAIRS = 6980 * 1000;
const PAPER_RELEVANT_PAIRS = 7437;
const NIGHT_HOURS = 8;
const NODE_CORES = 32;

/**
 * CPU-hours per analysis at the paper's scale (one onnxruntime thread per shard: CPU-hours are core-hours),
 * and the one-thread Slurm shards (and 32-core nodes) that finish it within a night. The default model's
 * figures are its measured per-pair costs; BERT-base's are its measured score-only cost times the default
 * model's analysis / score-only ratios (head importance scaled by its settings, 1 + L x H).
 */
function project(measured: Measured, base: Measured | undefined): void {
  const int8 = Number(process.env.BENCH_INT8_SPEEDUP ?? NaN);
  const rows: [string, number][] = [];
  for (const [name, perPair] of Object.entries(measured.perPair)) {
    // Probing reads a sample of training and held-out pairs, not every candidate: its cost is per pair below.
    if (name === 'probing') continue;
    const pairs = name === 'attention' ? PAPER_RELEVANT_PAIRS : PAPER_PAIRS;
    rows.push([`${measured.label} ${name}`, (pairs * perPair) / 3600]);
    if (base) {
      const settings = (m: Measured) => 1 + m.numLayers * m.numHeads;
      const scale = name === 'head-importance' ? settings(base) / settings(measured) : 1;
      rows.push([
        `BERT-base ${name} (estimate)`,
        (pairs * (perPair / measured.scorePerPair) * scale * base.scorePerPair) / 3600,
      ]);
    }
  }
  console.log(
    `\nprojection to the paper's scale (${PAPER_PAIRS.toLocaleString()} candidate pairs; attention: ${PAPER_RELEVANT_PAIRS.toLocaleString()} relevant pairs), fp32, 1 thread per Slurm shard, a night = ${NIGHT_HOURS} h on ${NODE_CORES}-core nodes:`,
  );
  console.log(
    `${'analysis'.padEnd(44)} ${'CPU-hours'.padStart(10)} ${'shards'.padStart(7)} ${'nodes'.padStart(6)}${Number.isFinite(int8) ? `  int8 CPU-hours (/${int8})` : ''}`,
  );
  let total = 0;
  for (const [label, hours] of rows) {
    const shards = Math.max(1, Math.ceil(hours / NIGHT_HOURS));
    if (label.startsWith(measured.label)) total += hours;
    console.log(
      `${label.padEnd(44)} ${hours.toFixed(1).padStart(10)} ${String(shards).padStart(7)} ${String(Math.ceil(shards / NODE_CORES)).padStart(6)}${Number.isFinite(int8) ? `  ${label.endsWith('rerank') || label.endsWith('rerank (estimate)') ? (hours / int8).toFixed(1) : 'fp32 only'}` : ''}`,
    );
  }
  console.log(
    `probing (a sample of pairs, not every candidate): ${(measured.perPair.probing * 1000).toFixed(1)} ms per pair of states = ${((measured.perPair.probing * 1e5) / 3600).toFixed(1)} CPU-hours per 100,000 pairs`,
  );
  const shards = Math.ceil(total / NIGHT_HOURS);
  console.log(
    `all ${measured.label} analyses above: ${total.toFixed(0)} CPU-hours = ${shards} one-thread shards (${Math.ceil(shards / NODE_CORES)} ${NODE_CORES}-core nodes) for ${NIGHT_HOURS} h`,
  );
}

async function main() {
  if (process.argv[2] === '--generate') {
    writeRandomCheckpoint(process.argv[3], BERT_BASE_SHAPE);
    fs.copyFileSync(path.join(BUNDLED, 'vocab.txt'), path.join(process.argv[3], 'vocab.txt'));
    return;
  }
  console.log(
    `machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}; times are CPU seconds of this process (${threads} onnxruntime thread(s)), not wall time`,
  );
  const measured = await measure('ranklens-minilm-l6', BUNDLED, true);
  // Printed before the BERT-base part, which builds a 440 MB graph and may not fit beside other work.
  project(measured, undefined);
  if (process.env.BENCH_SKIP_BASE) return;
  const root = tempDir('bench-base');
  try {
    const dir = path.join(root, 'model');
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--generate', dir], {
      stdio: 'inherit',
    });
    if (child.status !== 0) throw new Error('checkpoint generation failed');
    const base = await measure('BERT-base shape (random weights)', dir, false);
    project(measured, base);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
