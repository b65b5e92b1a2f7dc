// npm run bench slurm: one analysis on the sample (rerank of the DL19 BM25 top-25, bundled model) in one process
// and as 1, 2 and 4 Slurm shards (array job + merge job) on a private one-node Slurm cluster on this machine; wall
// times from the command's start to result.json, the fixed cost of one ranklens process, the per-pair cost, and a
// check that every sharded result is byte-identical to the one-process result. Needs root (the Slurm daemons).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SlurmCommands, clusterRunStatus } from '../src/core/cluster';
import { slurmUnavailableReason, startSlurmCluster } from '../test/support/slurmCluster';

const root = path.resolve(__dirname, '..');
const sample = path.join(root, 'sample-workspace');
const depth = Number(process.env.BENCH_DEPTH ?? 25);

async function main(): Promise<void> {
  const unavailable = slurmUnavailableReason();
  if (unavailable) {
    console.log(`slurm benchmark skipped: ${unavailable}`);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-bench-slurm-'));
  const cluster = await startSlurmCluster();
  try {
    // The built CLI when there is one (what users run), else the sources through tsx.
    const built = fs.existsSync(path.join(root, 'out', 'cli.js'));
    const cli = built
      ? [path.join(root, 'bin', 'ranklens.js')]
      : ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts')];
    const ranklens = (args: string[]) => {
      const start = performance.now();
      const r = spawnSync(process.execPath, [...cli, ...args], {
        cwd: root,
        env: cluster.env,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`ranklens ${args.join(' ')}: ${r.stderr}`);
      return { seconds: (performance.now() - start) / 1000, out: r.stdout };
    };
    const analysis = (sampleQueries?: number) => [
      'analyze',
      'rerank',
      '--collection',
      path.join(sample, 'collection.tsv'),
      '--queries',
      path.join(sample, 'queries.dl19.tsv'),
      '--qrels',
      path.join(sample, 'qrels.dl19.txt'),
      '--run',
      path.join(sample, 'run.dl19.bm25.trec'),
      '--depth',
      String(depth),
      '--chunk-pairs',
      '100',
      '--threads',
      '1',
      '--cache-dir',
      path.join(work, 'graphs'),
      ...(sampleQueries ? ['--sample', String(sampleQueries)] : []),
    ];
    ranklens([...analysis(1), '--out', path.join(work, 'warm-up')]); // builds the cached graph once
    const oneQuery = ranklens([...analysis(1), '--out', path.join(work, 'one-query')]);
    const single = ranklens([...analysis(), '--out', path.join(work, 'single')]);
    const reference = fs.readFileSync(path.join(work, 'single', 'result.json'));
    const pairs = (JSON.parse(reference.toString()) as { data: { pairs: number } }).data.pairs;
    const perPair = (single.seconds - oneQuery.seconds) / (pairs - depth);
    console.log(`machine: ${os.cpus().length} cores, shared with other work (times are inflated)`);
    console.log(
      `analysis: rerank of ${pairs} pairs (DL19 BM25 top-${depth}), bundled model, 1 onnxruntime thread`,
    );
    console.log(
      `one process, 1 query (${depth} pairs): ${oneQuery.seconds.toFixed(2)} s (process start, model load)`,
    );
    console.log(
      `one process, all:                ${single.seconds.toFixed(2)} s; per pair ${(perPair * 1000).toFixed(2)} ms`,
    );
    const slurm = new SlurmCommands(cluster.env);
    for (const shards of [1, 2, 4]) {
      const dir = path.join(work, `shards-${shards}`);
      const start = performance.now();
      ranklens([...analysis(), '--out', dir, '--slurm', '--shards', String(shards), '--cpus-per-task', '1']);
      for (;;) {
        const status = await clusterRunStatus(dir, slurm);
        if (status.result) break;
        if (status.counts.failed > 0 || status.merge.phase === 'failed')
          throw new Error(`shards failed in ${dir}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - start) / 1000;
      const identical = fs.readFileSync(path.join(dir, 'result.json')).equals(reference);
      console.log(
        `Slurm, ${shards} shard${shards > 1 ? 's' : ' '} + merge:         ${seconds.toFixed(2)} s (x${(single.seconds / seconds).toFixed(2)} vs one process; result ${identical ? 'byte-identical' : 'DIFFERS'})`,
      );
      if (!identical) process.exitCode = 1;
    }
  } finally {
    await cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
