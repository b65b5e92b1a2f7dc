// Side by side with what users would run instead (issue 21, item 1): RankLens vs sentence-transformers'
// CrossEncoder.predict and plain transformers + torch.inference_mode (PyTorch CPU, fp32, from .venv), on the
// bundled model and the sample's DL19 (4,300 pairs) and dev600-heldout (4,000 pairs) BM25 runs.
// Run: npm run bench peers [-- --pairs N --threads 1,2 --batch 4,16,32,64 --precision fp32,int8 --repeat R]
// (--pairs N: each run's first N pairs; --repeat R: every configuration of every tool runs R times, in R
// processes, and its fastest run counts, which steadies the table on a shared machine). Every tool runs every
// batch size and the ratios take each tool at its best: a small batch keeps a call's activations in cache, a
// large one amortises per-call overhead. int8 rows (RankLens --precision int8) are compared with RankLens fp32 by
// rank correlation, not by the 1e-5 check; their end-to-end runs are evaluated against the qrels (MRR@10,
// nDCG@10) beside the fp32 ones, so the quality cost of int8 is printed with its speed.
// Each configuration runs in its own process, so its peak RSS is its own. RankLens in-process: Ranker.score on
// pairs tokenised beforehand (tokenising timed apart); end to end: `node bin/ranklens.js analyze rerank` from the
// files to a written run (a fresh npm run build first), wall and max RSS from /usr/bin/time. The PyTorch tools
// tokenise inside their timed loop, as a user's loop does. Load = model load (RankLens: graph cache warm; PyTorch:
// after `import torch`, whose time is printed apart). Scores must agree to 1e-5 relative (|a-b| <= 1e-5 max(1,|a|)).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../test/support/tempFiles';
import { loadPairSet } from '../src/core/analysis/pairSet';
import { BUNDLED_MODEL_FOLDER } from '../src/core/model/bundled';
import { PRECISIONS, type Precision } from '../src/core/bert/graph';
import { readQrels } from '../src/core/data/qrels';
import { judgedQueries, nearTies, noiseSensitivity } from './precisionHeadroom';
import { Ranker } from '../src/core/runtime/ranker';
import { encodePair } from '../src/core/text/pair';
import { loadTokenizer } from '../src/core/text/load';

const ROOT = path.join(__dirname, '..');
const MODEL = path.join(ROOT, BUNDLED_MODEL_FOLDER);
const DATA = path.join(ROOT, 'sample-workspace');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const MAX_LENGTH = 256;
const TOLERANCE = 1e-5;
const DATASETS = [
  { name: 'DL19', queries: 'queries.dl19.tsv', qrels: 'qrels.dl19.txt', run: 'run.dl19.bm25.tsv' },
  {
    name: 'dev600-heldout',
    queries: 'queries.dev600-heldout.tsv',
    qrels: 'qrels.dev600-heldout.txt',
    run: 'run.dev600-heldout.bm25.tsv',
  },
];
const TOOLS = [
  'RankLens in-process',
  'RankLens end to end',
  'RankLens int8 in-process',
  'RankLens int8 end to end',
  'sentence-transformers',
  'transformers',
] as const;
type Tool = (typeof TOOLS)[number];
const isInt8 = (tool: Tool) => tool.startsWith('RankLens int8');

interface Measurement {
  readonly seconds: number;
  readonly loadSeconds: number;
  readonly peakRssBytes: number;
  readonly importSeconds?: number;
  readonly tokeniseSeconds?: number;
  readonly scores: number[];
  /** End to end: the re-ranked run's MRR@10 and nDCG@10 against the qrels. */
  readonly metrics?: { readonly mrr10: number; readonly ndcg10: number };
}

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const list = (name: string, fallback: string) => option(name, fallback).split(',').map(Number);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 2 ** 28 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Worker: RankLens in-process on one configuration; prints a Measurement. */
async function worker(
  pairsFile: string,
  cacheDir: string,
  threads: number,
  batchSize: number,
  precision: Precision,
) {
  const texts = fs
    .readFileSync(pairsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);
  let t = performance.now();
  const tokenizer = loadTokenizer(MODEL);
  const pairs = texts.map(([q, p]) => encodePair(tokenizer, q, p, { maxLength: MAX_LENGTH }));
  const tokeniseSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  // maxRunFlops Infinity: batches of exactly batchSize, as the PyTorch tools run them.
  const ranker = await Ranker.load(MODEL, {
    threads,
    cacheDir,
    batchSize,
    maxRunFlops: Infinity,
    precision,
  });
  const loadSeconds = (performance.now() - t) / 1000;
  await ranker.score(pairs.slice(0, batchSize)); // warm-up
  t = performance.now();
  const scores = (await ranker.score(pairs)).map((r) => r.score);
  const seconds = (performance.now() - t) / 1000;
  await ranker.dispose();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const m: Measurement = { seconds, loadSeconds, peakRssBytes, tokeniseSeconds, scores };
  process.stdout.write(JSON.stringify(m));
}

function measure(tool: Tool, dir: string, threads: number, batch: number, keys: string[]): Measurement {
  const pairsFile = path.join(dir, 'pairs.jsonl');
  const cacheDir = path.join(dir, '..', 'graphs');
  const env = { ...process.env, HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: String(threads) };
  const precision = isInt8(tool) ? 'int8' : 'fp32';
  if (tool === 'RankLens in-process' || tool === 'RankLens int8 in-process') {
    const args = [
      '--import',
      'tsx',
      __filename,
      '--worker',
      pairsFile,
      cacheDir,
      String(threads),
      String(batch),
      precision,
    ];
    return JSON.parse(run(process.execPath, args, env)) as Measurement;
  }
  if (tool === 'RankLens end to end' || tool === 'RankLens int8 end to end') {
    const out = fs.mkdtempSync(path.join(dir, 'rerank-'));
    const cli = [process.execPath, 'bin/ranklens.js', 'analyze', 'rerank', '--collection'];
    const data = [path.join(DATA, 'collection.tsv'), '--queries', path.join(dir, 'queries.tsv')];
    const rest = [
      '--run',
      path.join(dir, 'run.tsv'),
      '--qrels',
      path.join(dir, 'qrels.txt'),
      '--depth',
      '1000',
      '--out',
      out,
      '--cache-dir',
      cacheDir,
    ];
    const settings = ['--threads', String(threads), '--batch-size', String(batch), '--precision', precision];
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cli, ...data, ...rest, ...settings], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`ranklens analyze rerank failed (${r.status}):\n${r.stderr}`);
    const [wall, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    const written = new Map<string, number>();
    for (const line of fs.readFileSync(path.join(out, 'rerank.trec'), 'utf8').trim().split('\n')) {
      const [qid, , pid, , score] = line.split(' ');
      written.set(`${qid}\t${pid}`, Number(score));
    }
    const scores = keys.map((k) => written.get(k) ?? NaN);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as {
      result: { metrics?: { model: { mrr10: number; ndcg10: number } } };
    };
    const model = result.result.metrics?.model;
    const metrics = model && { mrr10: model.mrr10, ndcg10: model.ndcg10 };
    return { seconds: wall, loadSeconds: NaN, peakRssBytes: kb * 1024, scores, metrics };
  }
  const peer = path.join(__dirname, 'peers', 'pytorch_peer.py');
  const py = ['--tool', tool === 'transformers' ? 'hf' : 'st', '--model', MODEL, '--pairs', pairsFile];
  return JSON.parse(run(PYTHON, [peer, ...py, '--threads', String(threads), '--batch', String(batch)], env));
}

/** The run's first `limit` lines (and the queries file) in `dir`, and the pairs in the order RankLens reads them. */
async function prepare(dataset: (typeof DATASETS)[number], dir: string, limit: number) {
  fs.mkdirSync(dir);
  const lines = fs.readFileSync(path.join(DATA, dataset.run), 'utf8').trim().split('\n').slice(0, limit);
  fs.writeFileSync(path.join(dir, 'run.tsv'), lines.join('\n') + '\n');
  fs.copyFileSync(path.join(DATA, dataset.queries), path.join(dir, 'queries.tsv'));
  // The qrels of the kept queries only: metrics over the queries the (possibly cut) run has.
  const kept = new Set(lines.map((l) => l.split('\t')[0]));
  const qrels = fs.readFileSync(path.join(DATA, dataset.qrels), 'utf8').trim().split('\n');
  const keptQrels = qrels.filter((l) => kept.has(l.split(/\s+/)[0]));
  fs.writeFileSync(path.join(dir, 'qrels.txt'), keptQrels.join('\n') + '\n');
  const set = await loadPairSet({
    collection: path.join(DATA, 'collection.tsv'),
    queries: path.join(dir, 'queries.tsv'),
    run: path.join(dir, 'run.tsv'),
    selection: 'candidates',
    depth: 1000,
  });
  const pairs = set.items.flatMap((item) => item.candidates.map((c) => ({ item, c })));
  fs.writeFileSync(
    path.join(dir, 'pairs.jsonl'),
    pairs.map(({ item, c }) => JSON.stringify([item.text, c.text])).join('\n') + '\n',
  );
  return pairs.map(({ item, c }) => `${item.qid}\t${c.pid}`);
}

/** Spearman's rank correlation (ties broken by position: scores here are continuous). */
function spearman(a: readonly number[], b: readonly number[]): number {
  const ranks = (v: readonly number[]) => {
    const out = new Array<number>(v.length);
    v.map((x, i) => [x, i] as const)
      .sort((p, q) => p[0] - q[0])
      .forEach(([, i], r) => (out[i] = r));
    return out;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (a.length - 1) / 2;
  let [num, da, db] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function maxDifference(a: readonly number[], b: readonly number[]) {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, Number.isNaN(d) ? Infinity : d);
    rel = Math.max(rel, Number.isNaN(d) ? Infinity : d / Math.max(1, Math.abs(a[i])));
  }
  return { abs, rel };
}

/** What the set's metrics can take: its near ties and the fp32 scores under noise of int8's size and smaller. */
function headroom(
  keys: readonly string[],
  fp32: readonly number[],
  int8: readonly number[],
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
): string[] {
  const queries = judgedQueries(keys, fp32, qrels);
  const gaps = [0.001, 0.003, 0.01, 0.03];
  const ties = nearTies(queries, 1, gaps);
  const differences = int8.map((s, i) => s - fp32[i]);
  const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
  const sd = Math.sqrt(differences.reduce((a, d) => a + (d - mean) ** 2, 0) / differences.length);
  const outcomes = noiseSensitivity(queries, 1, [sd, sd / 10, sd / 50], { mrr: 0.003, ndcg: 0.005 });
  return [
    `  near ties: the first relevant passage is within ${gaps.join(' / ')} logits of a non-relevant one in ${ties.within.join(' / ')} of ${ties.queries} queries (fp32)`,
    ...outcomes.map(
      (o) =>
        `  fp32 + noise sd ${o.sd.toFixed(4)}${o.sd === sd ? " (int8's)" : ''}: |dMRR@10| median ${o.medianMrrChange.toFixed(4)}, <= 0.003 in ${(100 * o.mrrWithin).toFixed(0)} % of draws; |dnDCG@10| median ${o.medianNdcgChange.toFixed(4)}, <= 0.005 in ${(100 * o.ndcgWithin).toFixed(0)} %`,
    ),
  ];
}

async function main() {
  const limit = Number(option('pairs', 'Infinity'));
  const threadCounts = list('threads', '1,2');
  const batches = list('batch', '4,16,32,64');
  const precisions = option('precision', 'fp32,int8').split(',');
  const repeat = Number(option('repeat', '1'));
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new Error(`--repeat: ${repeat} is not a whole number >= 1`);
  for (const p of precisions)
    if (!PRECISIONS.includes(p as Precision))
      throw new Error(`--precision: ${p} is not one of ${PRECISIONS.join(', ')}`);
  const tools = TOOLS.filter((tool) => precisions.includes(isInt8(tool) ? 'int8' : 'fp32'));
  // The CLI as users run it, bundled from this tree; another bundle failing to build does not stop the benchmark.
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  const cli = path.join(ROOT, 'out', 'cli.js');
  if (!fs.existsSync(cli) || fs.statSync(cli).mtimeMs < Date.now() - 120_000)
    throw new Error(`npm run build did not write out/cli.js:\n${built.stderr}`);
  if (built.status !== 0)
    console.log('note: npm run build failed for another bundle; out/cli.js was rebuilt');
  const root = tempDir('bench-peers');
  let worst = 0;
  try {
    const t = performance.now();
    await (await Ranker.load(MODEL, { cacheDir: path.join(root, 'graphs') })).dispose();
    console.log(
      `model ${BUNDLED_MODEL_FOLDER} (fp32), max_length ${MAX_LENGTH}; first RankLens load, graph built: ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    const header = ['tool', 'threads', 'batch', 'pairs/s', 'x ST', 'load s', 'peak RSS MB', 'max rel diff'];
    const quality: string[] = [];
    for (const dataset of DATASETS) {
      const dir = path.join(root, dataset.name);
      const keys = await prepare(dataset, dir, limit);
      console.log(`\n${dataset.name}: ${keys.length} pairs`);
      console.log(header.map((h, i) => (i === 0 ? h.padEnd(22) : h.padStart(14))).join(''));
      let reference: number[] | undefined;
      const metrics = new Map<string, NonNullable<Measurement['metrics']>>();
      let int8Scores: number[] | undefined;
      for (const threads of threadCounts) {
        const best = new Map<Tool, number>();
        const st = new Map<number, number>();
        const rows: string[][] = [];
        const notes = new Map<string, string>();
        for (const tool of tools) {
          for (const batch of batches) {
            let m = measure(tool, dir, threads, batch, keys);
            for (let r = 1; r < repeat; r++) {
              const again = measure(tool, dir, threads, batch, keys);
              if (again.seconds < m.seconds) m = again;
            }
            const rate = keys.length / m.seconds;
            if (!isInt8(tool)) reference ??= m.scores;
            const diff = maxDifference(reference ?? m.scores, m.scores);
            if (isInt8(tool)) int8Scores ??= m.scores;
            else worst = Math.max(worst, diff.rel);
            if (m.metrics) metrics.set(isInt8(tool) ? 'int8' : 'fp32', m.metrics);
            best.set(tool, Math.max(best.get(tool) ?? 0, rate));
            if (tool === 'sentence-transformers') st.set(batch, rate);
            if (m.importSeconds !== undefined)
              notes.set(tool, `import ${tool} ${m.importSeconds.toFixed(1)} s`);
            if (m.tokeniseSeconds !== undefined)
              notes.set(tool, `RankLens tokenising ${(keys.length / m.tokeniseSeconds).toFixed(0)} pairs/s`);
            rows.push([tool, String(threads), String(batch), rate.toFixed(1), '', m.loadSeconds.toFixed(2)]);
            rows.at(-1)!.push(mb(m.peakRssBytes), isInt8(tool) ? '(int8)' : diff.rel.toExponential(1));
          }
        }
        for (const row of rows) {
          row[4] = (Number(row[3]) / st.get(Number(row[2]))!).toFixed(2);
          if (row[5] === 'NaN') row[5] = '-';
          console.log(row.map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(14))).join(''));
        }
        const torch = Math.max(best.get('sentence-transformers')!, best.get('transformers')!);
        const ratio = (tool: Tool, to: number) => `${((best.get(tool) ?? NaN) / to).toFixed(2)}x`;
        console.log(
          `  ${threads} thread(s), best batch each: RankLens in-process / best PyTorch ${ratio('RankLens in-process', torch)}, end to end / best PyTorch ${ratio('RankLens end to end', torch)} (goal >= 1.3x)`,
        );
        if (precisions.includes('int8')) {
          const st = best.get('sentence-transformers')!;
          console.log(
            `  int8: in-process / sentence-transformers fp32 ${ratio('RankLens int8 in-process', st)}, end to end ${ratio('RankLens int8 end to end', st)} (goal >= 2.5x); in-process int8 / fp32 ${ratio('RankLens int8 in-process', best.get('RankLens in-process')!)}`,
          );
        }
        console.log(`  ${[...notes.values()].join('; ')}`);
      }
      const [f, q] = [metrics.get('fp32'), metrics.get('int8')];
      if (reference && int8Scores) {
        const line = `${dataset.name} (${keys.length} pairs): int8 vs fp32 score Spearman ${spearman(reference, int8Scores).toFixed(4)}, max |diff| ${maxDifference(reference, int8Scores).abs.toFixed(3)}`;
        const delta = (k: 'mrr10' | 'ndcg10') => (f && q ? (q[k] - f[k]).toFixed(4) : '-');
        const both =
          f && q
            ? `; MRR@10 ${f.mrr10.toFixed(4)} -> ${q.mrr10.toFixed(4)} (${delta('mrr10')}), nDCG@10 ${f.ndcg10.toFixed(4)} -> ${q.ndcg10.toFixed(4)} (${delta('ndcg10')})`
            : '';
        quality.push(line + both);
        quality.push(
          ...headroom(keys, reference, int8Scores, (await readQrels(path.join(dir, 'qrels.txt'))).judgements),
        );
      }
    }
    if (quality.length > 0)
      console.log(
        `\nint8 quality (goals: |dMRR@10| <= 0.003 dev600-heldout, |dnDCG@10| <= 0.005 DL19)\n${quality.join('\n')}`,
      );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `\nmax relative score difference between the tools: ${worst.toExponential(2)} (allowed ${TOLERANCE})`,
  );
  if (!(worst <= TOLERANCE)) process.exit(1);
}

if (process.argv[2] === '--worker') {
  const [file, cacheDir, threads, batch, precision] = process.argv.slice(3);
  worker(file, cacheDir, Number(threads), Number(batch), precision as Precision).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
