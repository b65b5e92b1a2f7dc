// Bad input given to the `ranklens` CLI as a user would give it: every case must end with one line naming
// the file and what was expected, a non-zero exit code, in bounded time and memory, and with every file the
// user had left exactly as it was.
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, snapshotTree, type CliRun } from '../../support/measuredCli';
import { REPO_ROOT, sharedFile } from '../../support/paths';
import { tempDir } from '../../support/tempFiles';

/** Generous: tsx alone takes ~0.5 s and ~100 MiB; a shared CI machine may be several times slower. */
const MAX_SECONDS = 30;
const MAX_RSS_MIB = 600;

interface Refusal {
  readonly args: readonly string[];
  readonly code: number;
  readonly message: RegExp;
  /** The user's folder: nothing in it may change. */
  readonly userFolder: string;
  readonly maxSeconds?: number;
  readonly maxRssMiB?: number;
}

async function expectRefusal(c: Refusal): Promise<CliRun> {
  const before = snapshotTree(c.userFolder);
  const r = await runCli(c.args);
  assert.equal(r.code, c.code, `exit code; stderr: ${r.err}`);
  assert.equal(r.out, '', 'nothing on stdout');
  assert.equal(r.err.split('\n').length, 2, `exactly one line on stderr, got: ${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.match(r.err, c.message);
  assert.ok(r.seconds < (c.maxSeconds ?? MAX_SECONDS), `took ${r.seconds.toFixed(1)} s`);
  assert.ok(r.maxRssMiB < (c.maxRssMiB ?? MAX_RSS_MIB), `peak memory ${r.maxRssMiB.toFixed(0)} MiB`);
  assert.deepEqual(snapshotTree(c.userFolder), before, 'the user folder is unchanged');
  return r;
}

/** A user folder holding copies of real MS MARCO files (105 dev queries, BM25 run and qrels). */
function userFolder(): { dir: string; run: string; qrels: string } {
  const dir = tempDir('ranklens-user-');
  const run = path.join(dir, 'run.dev.small.tsv');
  const qrels = path.join(dir, 'qrels.dev.small.tsv');
  fs.copyFileSync(sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv'), run);
  fs.copyFileSync(sharedFile('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv'), qrels);
  return { dir, run, qrels };
}

describe('ranklens eval refuses bad input with one line', () => {
  it('a folder given as --run', async () => {
    const u = userFolder();
    const folder = path.join(u.dir, 'runs');
    fs.mkdirSync(folder);
    await expectRefusal({
      args: ['eval', '--run', folder, '--qrels', u.qrels],
      code: 1,
      message: /^ranklens eval: .*runs: expected a file, found a folder\n$/,
      userFolder: u.dir,
    });
  });

  it('--out into a folder that does not exist (checked before any reading)', async () => {
    const u = userFolder();
    const out = path.join(u.dir, 'missing', 'result.json');
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', out],
      code: 1,
      message: /result\.json: expected an existing folder to write into, found no folder .*missing\n$/,
      userFolder: u.dir,
    });
  });

  it('--out naming one of the inputs', async () => {
    const u = userFolder();
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', u.qrels],
      code: 1,
      message: /qrels\.dev\.small\.tsv: expected an output file that is not one of the inputs/,
      userFolder: u.dir,
    });
  });

  for (const value of ['0', '-1']) {
    it(`--min-relevance ${value} (would count unjudged passages as relevant)`, async () => {
      const u = userFolder();
      await expectRefusal({
        args: ['eval', '--run', u.run, '--qrels', u.qrels, '--min-relevance', value],
        code: 2,
        message: new RegExp(`--min-relevance must be a grade above 0 .*got ${value}`),
        userFolder: u.dir,
      });
    });
  }

  it('a negative grade in the qrels, with its line', async () => {
    const u = userFolder();
    const lines = fs.readFileSync(u.qrels, 'utf8').split('\n');
    lines[2] = lines[2].replace(/\s1$/, '\t-2');
    fs.writeFileSync(u.qrels, lines.join('\n'));
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels],
      code: 1,
      message: /qrels\.dev\.small\.tsv:3: expected a relevance grade of 0 or more in column 4, found "-2"\n$/,
      userFolder: u.dir,
    });
  });

  it('a symbolic link loop', async () => {
    const u = userFolder();
    const [a, b] = [path.join(u.dir, 'a.tsv'), path.join(u.dir, 'b.tsv')];
    fs.symlinkSync(b, a);
    fs.symlinkSync(a, b);
    await expectRefusal({
      args: ['eval', '--run', a, '--qrels', u.qrels],
      code: 1,
      message: /a\.tsv: expected a file, found a symbolic link loop at .*a\.tsv\n$/,
      userFolder: u.dir,
    });
  });

  it('a missing required option', async () => {
    const u = userFolder();
    await expectRefusal({
      args: ['eval', '--run', u.run],
      code: 2,
      message: /^ranklens eval: --qrels is required \(ranklens eval --help shows the usage\)\n$/,
      userFolder: u.dir,
    });
  });
});

describe('ranklens CLI output', () => {
  let subcommands: string[] = [];
  before(async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    subcommands = [...r.out.matchAll(/^ranklens (\w+)/gm)].map((m) => m[1]);
  });

  it('--help on every subcommand prints its usage and exits 0', async () => {
    assert.ok(subcommands.length >= 4, subcommands.join(','));
    for (const name of subcommands) {
      const r = await runCli([name, '--help']);
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      assert.match(r.out, new RegExp(`^ranklens ${name} `), name);
      assert.equal(r.err, '');
    }
  });

  it('writes all of a large --json result into a pipe before exiting', async () => {
    // More than the 64 KiB a Linux pipe holds: process.exit() before stdout drained cut it there.
    const model = path.join(REPO_ROOT, 'models', 'ranklens-mini');
    const r = await runCli([
      'inspect',
      '--model',
      model,
      '--query',
      'what is the capital of france',
      '--passage',
      'Paris is the capital and most populous city of France. It lies on the Seine.',
      '--cache-dir',
      tempDir('ranklens-cache-'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.length > 2 * 65536, `${r.out.length} bytes`);
    const body = JSON.parse(r.out) as { attentions: number[][][][]; tokens: unknown[] };
    const config = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')) as {
      num_hidden_layers: number;
    };
    assert.equal(body.attentions.length, config.num_hidden_layers);
    assert.equal(body.attentions[0][0].length, body.tokens.length);
  });
});
