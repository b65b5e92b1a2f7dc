// `ranklens analyze … --slurm`, `ranklens jobs`, `ranklens resume` against a real Slurm (Debian's slurm-wlm and
// munge, installed by scripts/setup-slurm.sh and started on a private configuration by test/support/slurmCluster.ts).
// The CLI runs as a separate process, as a user runs it, and the shards run it again on the "compute node".
// Skips only where Slurm cannot run: not root (the daemons need it) or no apt to install it.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDir } from '../../support/checkpoints';
import { REPO_ROOT } from '../../support/paths';
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../../support/slurmCluster';
import { tinyDatasetArgs, writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { SlurmCommands, clusterRunStatus, type ClusterRunStatus } from '../../../src/core/cluster';

const unavailable = slurmUnavailableReason();
if (unavailable) console.log(`# real-Slurm tests skipped: ${unavailable}`);

let cluster: SlurmCluster;
let slurm: SlurmCommands;
let root: string;
let modelDir: string;
let files: TinyDatasetFiles;
let reference: string;

/** The ranklens CLI from the sources, in a new process, with the test cluster's SLURM_CONF. */
function ranklens(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: cluster.env,
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

// 8 queries x 6 candidates in chunks of one query: 8 chunks, 2 per shard.
const analysisArgs = () => [
  'rerank',
  '--model',
  modelDir,
  ...tinyDatasetArgs(files),
  '--chunk-pairs',
  '6',
  '--threads',
  '1',
  '--cache-dir',
  path.join(root, 'graphs'),
];

/** `ranklens analyze rerank … --out DIR --slurm --shards N` with more Slurm options. */
const submit = (dir: string, shards: number, ...slurmOptions: string[]) =>
  ranklens([
    'analyze',
    ...analysisArgs(),
    '--out',
    dir,
    '--slurm',
    '--shards',
    String(shards),
    ...slurmOptions,
  ]);

async function waitUntil(
  dir: string,
  done: (status: ClusterRunStatus) => boolean,
  what: string,
): Promise<ClusterRunStatus> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const status = await clusterRunStatus(dir, slurm);
    if (done(status)) return status;
    if (Date.now() > deadline) {
      assert.fail(
        `${what}: not within 180 s\n${JSON.stringify(status, null, 1)}\n${jobLogs(dir)}\n${cluster.logs()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits for the merge job to end and checks that it merged. */
async function waitForMerge(dir: string): Promise<ClusterRunStatus> {
  const status = await waitUntil(dir, (s) => s.result !== undefined || s.merge.phase === 'failed', 'merge');
  assert.equal(status.merge.phase, 'done', jobLogs(dir));
  return status;
}

/** What the jobs printed, for a failing assertion's message. */
function jobLogs(dir: string): string {
  const logs = path.join(dir, 'slurm', 'logs');
  return fs
    .readdirSync(logs)
    .map((f) => `--- ${f}\n${fs.readFileSync(path.join(logs, f), 'utf8')}`)
    .join('\n');
}

function jobCount(): number {
  return spawnSync('squeue', ['-h', '--states=all', '-r', '-u', os.userInfo().username], {
    env: cluster.env,
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .filter((l) => l.trim()).length;
}

/** Every file the analysis writes (result.json, rerank.trec, ...), by name. */
function outputs(dir: string): Map<string, Buffer> {
  return new Map(
    fs
      .readdirSync(dir)
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}

describe(
  'ranklens on a real Slurm cluster',
  { skip: unavailable ? `skipped: ${unavailable}` : false },
  () => {
    before(async () => {
      cluster = await startSlurmCluster();
      slurm = new SlurmCommands(cluster.env);
      root = tempDir('slurm-cli');
      ({ modelDir, files } = writeTinyModelAndDataset(
        root,
        { layers: 2, heads: 2, hidden: 8, numLabels: 1, seed: 21 },
        { queries: 8, candidates: 6 },
      ));
      reference = path.join(root, 'single');
      const single = ranklens(['analyze', ...analysisArgs(), '--out', reference]);
      assert.equal(single.code, 0, single.err);
    });
    after(async () => {
      await cluster?.stop();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it('runs an analysis as a 4-shard array job plus merge job, bit-identical to one process', async () => {
      const dir = path.join(root, 'four');
      const submitted = submit(dir, 4);
      assert.equal(submitted.code, 0, submitted.err);
      const ids = /array job (\d+) \(tasks 1-4\), merge job (\d+)/.exec(submitted.out);
      assert.ok(ids, submitted.out);
      assert.match(submitted.out, new RegExp(`result: ${path.join(dir, 'result.json')}`));
      const script = fs.readFileSync(path.join(dir, 'slurm', 'shard.sbatch'), 'utf8');
      assert.match(script, /^#SBATCH --array=1-4$/m);
      assert.match(script, /^#SBATCH --cpus-per-task=1$/m);
      assert.match(script, /--shard "\$SLURM_ARRAY_TASK_ID\/4"$/m);

      const status = await waitForMerge(dir);
      assert.deepEqual(
        status.shards.map((s) => [s.shard, s.jobId, s.phase]),
        [1, 2, 3, 4].map((k) => [k, `${ids[1]}_${k}`, 'done']),
      );
      assert.equal(status.merge.jobId, ids[2]);
      for (let k = 1; k <= 4; k++)
        assert.ok(fs.existsSync(path.join(dir, 'partials', `shard-${k}-of-4.json`)));
      const expected = outputs(reference);
      const actual = outputs(dir);
      assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
      for (const [name, bytes] of expected) assert.ok(bytes.equals(actual.get(name)!), `${name} differs`);

      const jobs = ranklens(['jobs', dir]);
      assert.equal(jobs.code, 0, jobs.err);
      assert.match(jobs.out, /4 done, 0 running, 0 pending, 0 failed/);
      assert.match(
        jobs.out,
        new RegExp(`result: ${path.join(dir, 'result.json')} \\(rerank, 8 queries, 48 pairs\\)`),
      );

      const again = submit(dir, 4);
      assert.equal(again.code, 1);
      assert.match(again.err, /already holds a Slurm run/);
    });

    it('a shard killed with scancel is reported failed, the merge never runs, resume completes the same result', async () => {
      const dir = path.join(root, 'killed');
      const gate = path.join(root, 'gate');
      // Shard 2 waits on the gate, so it is surely running when it is killed (setup lines run in the merge job too).
      const hold = `[ "\${SLURM_ARRAY_TASK_ID:-}" != 2 ] || [ -e ${gate} ] || sleep 600`;
      const submitted = submit(dir, 4, '--setup', hold);
      assert.equal(submitted.code, 0, submitted.err);
      const running = await waitUntil(dir, (s) => s.shards[1].phase === 'running', 'shard 2 running');
      const victim = running.shards[1].jobId;
      assert.equal(spawnSync('scancel', [victim], { env: cluster.env }).status, 0);

      const failed = await waitUntil(
        dir,
        (s) => s.shards[1].phase === 'failed' && s.merge.phase !== 'pending' && s.counts.done === 3,
        'the cancelled shard and the merge job to end',
      );
      assert.equal(failed.shards[1].slurmState, 'CANCELLED');
      assert.equal(failed.merge.phase, 'failed');
      assert.equal(failed.merge.slurmState, 'CANCELLED');
      assert.equal(failed.merge.reason, 'DependencyNeverSatisfied');
      assert.ok(!fs.existsSync(path.join(dir, 'result.json')), 'the merge job must not run');
      assert.ok(!fs.existsSync(path.join(dir, 'partials', 'shard-2-of-4.json')));

      const jobs = ranklens(['jobs', dir]);
      assert.equal(jobs.code, 0, jobs.err);
      assert.match(jobs.out, new RegExp(`^2/4 +${victim} +failed \\(CANCELLED\\)$`, 'm'));
      assert.match(jobs.out, /3 done, 0 running, 0 pending, 1 failed/);
      assert.match(jobs.out, /ranklens resume/);

      fs.writeFileSync(gate, '');
      const resumed = ranklens(['resume', dir]);
      assert.equal(resumed.code, 0, resumed.err);
      assert.match(resumed.out, /resubmitted shards 2 as array job \d+, merge job \d+/);
      const status = await waitForMerge(dir);
      assert.notEqual(status.shards[1].jobId, victim);
      assert.ok(
        fs
          .readFileSync(path.join(dir, 'result.json'))
          .equals(fs.readFileSync(path.join(reference, 'result.json'))),
      );
      assert.match(ranklens(['resume', dir]).out, /nothing to do/);
    });

    it('refuses a partition that does not exist before submitting anything', () => {
      const dir = path.join(root, 'bad-partition');
      const before = jobCount();
      const r = submit(dir, 2, '--partition', 'gpu-a100');
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        'ranklens analyze: partition "gpu-a100" does not exist on this cluster (partitions: debug); nothing was submitted\n',
      );
      assert.equal(jobCount(), before);
      assert.ok(!fs.existsSync(path.join(dir, 'slurm')));
    });
  },
);
