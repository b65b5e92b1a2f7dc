// Benchmark of layer-wise Integrated Gradients (src/core/attribution) for one real MS MARCO
// pair of 256 WordPieces: time and peak RSS of IG at one layer and at all layers, as a ratio to one
// score-only forward of the same pair (Ranker.score), and the integration points needed for 5%.
// Each measurement runs in its own process so peak RSS is its own.
// Run: node --import tsx bench/attribution.ts [bundled|base ...] (default both)
// Env: BENCH_THREADS (2), BENCH_SPIN (1; 0 = the extension's setting), BENCH_SEQ (256), BENCH_BASELINES (both | empty-query | empty-document),
// BENCH_BAKED_MB (the gradient model's bakedWeightBytes, in MiB; 0 = every chain reads weight inputs),
// BENCH_PAIR (dev: a dev query with relevant passages | dl19: the extension test's DL19 pair), BENCH_ONE_LAYER (0), BENCH_ALL_LAYERS (all; e.g. "0,6,12" to sample the BERT-base run), BENCH_BATCH (16).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attribute, BASELINES, type Baseline } from '../src/core/attribution';
import { BertGradientModel } from '../src/core/bert/gradientModel';
import { Ranker } from '../src/core/runtime/ranker';
import { tempDir, writeRandomCheckpoint, BERT_BASE_SHAPE } from '../test/support/checkpoints';
import { BERT_VOCAB, REPO_ROOT } from '../test/support/paths';
import { benchPair, dl19Pair } from './benchPair';

const threads = Number(process.env.BENCH_THREADS ?? 2);
/** BENCH_SPIN=0: pool threads sleep when idle, as in the extension's worker (sessionOptions.ts). */
const spinning = process.env.BENCH_SPIN !== '0';
const seq = Number(process.env.BENCH_SEQ ?? 256);
const batchSize = Number(process.env.BENCH_BATCH ?? 16);
const baselines: Baseline[] =
  !process.env.BENCH_BASELINES || process.env.BENCH_BASELINES === 'both'
    ? BASELINES.slice()
    : [process.env.BENCH_BASELINES as Baseline];
const oneLayer = Number(process.env.BENCH_ONE_LAYER ?? 0);
const allLayers = process.env.BENCH_ALL_LAYERS ?? 'all';
const mb = (kilobytes: number) => `${(kilobytes / 1024).toFixed(0)} MB`;

interface Measurement {
  readonly ms: number;
  /** Process CPU time (user + system) of the measured work: a fairer count than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly loadMs: number;
  readonly peakRssKb: number;
  readonly points?: number[];
  readonly errors?: number[];
  readonly converged?: boolean[];
  readonly tokens: number;
}

async function measure(what: string, modelDir: string): Promise<Measurement> {
  const pair = process.env.BENCH_PAIR === 'dl19' ? dl19Pair(modelDir, seq) : benchPair(modelDir, seq);
  const tokens = pair.tokens.length;
  let t = performance.now();
  if (what === 'forward') {
    const ranker = await Ranker.load(modelDir, { threads, spinning });
    const loadMs = performance.now() - t;
    await ranker.score([pair]);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const cpu = process.cpuUsage();
      await ranker.score([pair]);
      times.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1000);
    }
    await ranker.dispose();
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    return { ms: times[1], cpuMs: cpuTimes[1], loadMs, peakRssKb: process.resourceUsage().maxRSS, tokens };
  }
  const model = await BertGradientModel.load(modelDir, {
    threads,
    spinning,
    batchSize,
    ...(process.env.BENCH_BAKED_MB ? { bakedWeightBytes: Number(process.env.BENCH_BAKED_MB) * 2 ** 20 } : {}),
  });
  const loadMs = performance.now() - t;
  const layers =
    what === 'one' ? [oneLayer] : allLayers === 'all' ? ('all' as const) : allLayers.split(',').map(Number);
  t = performance.now();
  const cpu = process.cpuUsage();
  const [result] = await attribute(model, [pair], baselines, { layers, batchSize });
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  await model.dispose();
  return {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    loadMs,
    peakRssKb: process.resourceUsage().maxRSS,
    points: result.layers.map((e) => e.points),
    errors: result.layers.map((e) => e.completenessError),
    converged: result.layers.map((e) => e.converged),
    tokens,
  };
}

function child(args: string[]): Measurement {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status})`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Measurement;
}

function generateBertBase(dir: string): void {
  writeRandomCheckpoint(dir, BERT_BASE_SHAPE);
  fs.copyFileSync(BERT_VOCAB(), path.join(dir, 'vocab.txt'));
}

function report(label: string, modelDir: string): void {
  console.log(`\n${label}: ${modelDir}`);
  const forward = child(['--measure', 'forward', modelDir]);
  console.log(
    `score-only forward (Ranker.score, 1 pair, ${forward.tokens} tokens): ${forward.ms.toFixed(0)} ms ` +
      `(median of 3), peak RSS ${mb(forward.peakRssKb)}`,
  );
  for (const what of ['one', 'all']) {
    const m = child(['--measure', what, modelDir]);
    const points = m.points ?? [];
    const mean = points.reduce((a, b) => a + b, 0) / Math.max(1, points.length);
    const worst = Math.max(...(m.errors ?? [0]));
    const missed = (m.converged ?? []).filter((c) => !c).length;
    const layers = what === 'one' ? `layer ${oneLayer}` : `layers ${allLayers}`;
    console.log(
      `IG ${layers}, ${baselines.join('+')}: ${(m.ms / 1000).toFixed(1)} s = ${(m.ms / forward.ms).toFixed(0)}x ` +
        `the forward (CPU time ${(m.cpuMs / 1000).toFixed(1)} s = ${(m.cpuMs / forward.cpuMs).toFixed(0)}x); load ${(m.loadMs / 1000).toFixed(1)} s; peak RSS ${mb(m.peakRssKb)}; ` +
        `${points.length} integrals, mean ${mean.toFixed(1)} points [${points.join(' ')}], ` +
        `worst completeness error ${(100 * worst).toFixed(2)}%${missed ? `, ${missed} not converged` : ''}`,
    );
  }
}

async function main() {
  if (process.argv[2] === '--measure') {
    const m = await measure(process.argv[3], process.argv[4]);
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  if (process.argv[2] === '--generate') {
    generateBertBase(process.argv[3]);
    return;
  }
  const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['bundled', 'base'];
  console.log(
    `threads ${threads}${spinning ? '' : ' (no spinning)'}, batch ${batchSize} points per run, ${seq} WordPieces`,
  );
  if (chosen.includes('bundled')) report('bundled model', path.join(REPO_ROOT, 'models', 'ranklens-mini'));
  if (chosen.includes('base')) {
    const root = tempDir('bench-ig');
    try {
      const dir = path.join(root, 'model');
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--generate', dir], {
        stdio: 'inherit',
      });
      if (r.status !== 0) throw new Error('checkpoint generation failed');
      report('BERT-base-shaped random checkpoint (12 x 768, weights U(-0.05, 0.05))', dir);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
