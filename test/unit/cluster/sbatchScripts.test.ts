// The sbatch scripts run by bash exactly as Slurm runs them: every argument reaches ranklens unchanged, the shard
// comes from the array task id, the #SBATCH lines carry the resources. And the --slurm option parsing.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../support/checkpoints';
import { renderSbatchScripts, type ClusterAnalysisSpec } from '../../../src/core/cluster';
import { takeOutDir, takeSlurmOptions } from '../../../src/cli/slurmOptions';

let dir: string;
before(() => {
  dir = tempDir('sbatch');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const awkward = ["it's", 'two words', '$HOME', '`date`', 'a"b', 'tab\there', '--x=1;rm -rf /', ''];

function spec(overrides: Partial<ClusterAnalysisSpec> = {}): ClusterAnalysisSpec {
  return {
    analysis: 'rerank',
    analyzeArgs: ['--queries', 'q file.tsv', ...awkward],
    resultDir: path.join(dir, 'result dir'),
    shards: 3,
    // printf prints each argument it gets on its own line, in brackets.
    command: ['printf', '[%s]\\n'],
    workDir: dir,
    resources: {
      partition: 'gpu',
      gres: 'gpu:1',
      time: '2:00:00',
      cpusPerTask: 2,
      sbatchArgs: ['--account=ir lab', '--qos=short'],
      setup: ['export RANKLENS_SETUP_RAN=yes'],
    },
    ...overrides,
  };
}

function runScript(text: string, env: Record<string, string>): string[] {
  const file = path.join(dir, 'job.sbatch');
  fs.writeFileSync(file, text);
  const r = spawnSync('bash', [file], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

describe('sbatch scripts', () => {
  it('shard script: every argument unchanged, --shard from the array task id', () => {
    const { shard } = renderSbatchScripts(spec(), new Date('2026-11-26T06:00:00Z'));
    const printed = runScript(shard, { SLURM_ARRAY_TASK_ID: '2' });
    assert.deepEqual(printed, [
      ...['analyze', 'rerank', '--queries', 'q file.tsv', ...awkward].map((a) => `[${a}]`),
      '[--out]',
      `[${path.join(dir, 'result dir')}]`,
      '[--shard]',
      '[2/3]',
    ]);
  });

  it('shard script: #SBATCH lines for the array, resources and logs', () => {
    const { shard } = renderSbatchScripts(spec(), new Date());
    const directives = shard.split('\n').filter((l) => l.startsWith('#SBATCH'));
    assert.deepEqual(directives, [
      '#SBATCH --job-name=ranklens-rerank',
      '#SBATCH --array=1-3',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --gres=gpu:1',
      `#SBATCH "--output=${path.join(dir, 'result dir', 'slurm', 'logs')}/shard-%A_%a.out"`,
      `#SBATCH --chdir=${dir}`,
      '#SBATCH --partition=gpu',
      '#SBATCH --time=2:00:00',
      '#SBATCH "--account=ir lab"',
      '#SBATCH --qos=short',
    ]);
    assert.match(shard, /^export RANKLENS_SETUP_RAN=yes$/m);
  });

  it('merge script: ranklens merge DIR, no GPU, no array', () => {
    const { merge } = renderSbatchScripts(spec(), new Date());
    assert.deepEqual(runScript(merge, {}), ['[merge]', `[${path.join(dir, 'result dir')}]`]);
    assert.doesNotMatch(merge, /--gres|--array/);
    assert.match(merge, /^#SBATCH --job-name=ranklens-rerank-merge$/m);
    assert.match(merge, /^#SBATCH --partition=gpu$/m);
  });

  it('refuses what an #SBATCH line cannot carry', () => {
    assert.throws(
      () => renderSbatchScripts(spec({ resultDir: '/tmp/a"b' }), new Date()),
      /cannot put .* into an #SBATCH line/,
    );
  });
});

describe('--slurm options', () => {
  it('takes the Slurm options out and leaves the analysis options in order', () => {
    const { request, rest } = takeSlurmOptions([
      '--queries',
      'q.tsv',
      '--slurm',
      '--shards=8',
      '--partition',
      'gpu',
      '--sbatch-arg',
      '--account=ir',
      '--sbatch-arg=--qos=short',
      '--setup',
      'module load cuda',
      '--gres',
      'gpu:1',
      '--time',
      '1-00',
      '--out',
      'res',
    ]);
    assert.deepEqual(rest, ['--queries', 'q.tsv', '--out', 'res']);
    assert.deepEqual(request, {
      shards: 8,
      resources: {
        partition: 'gpu',
        gres: 'gpu:1',
        time: '1-00',
        cpusPerTask: 1,
        sbatchArgs: ['--account=ir', '--qos=short'],
        setup: ['module load cuda'],
      },
    });
  });

  it('without --slurm: nothing taken, and Slurm options alone are refused', () => {
    assert.deepEqual(takeSlurmOptions(['--queries', 'q']), { rest: ['--queries', 'q'] });
    assert.throws(() => takeSlurmOptions(['--shards', '4']), /--shards needs --slurm/);
    assert.throws(() => takeSlurmOptions(['--slurm']), /--slurm needs --shards/);
    assert.throws(
      () => takeSlurmOptions(['--slurm', '--shards', '0']),
      /--shards must be a positive integer/,
    );
    assert.throws(
      () => takeSlurmOptions(['--slurm', '--shards', '2', '--partition']),
      /--partition needs a value/,
    );
  });

  it('--out becomes absolute and --shard is refused', () => {
    assert.deepEqual(takeOutDir(['--run', 'r', '--out=res']), {
      outDir: path.resolve('res'),
      rest: ['--run', 'r'],
    });
    assert.throws(() => takeOutDir(['--out', 'x', '--shard', '1/2']), /drop --shard/);
    assert.throws(() => takeOutDir(['--run', 'r']), /--out is required/);
  });
});
