// Bad input given to the `ranklens` CLI as a user would give it: every case must end with one line naming
// the file and what was expected, a non-zero exit code, in bounded time and memory, and with every file the
// user had left exactly as it was.
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, snapshotTree, type CliRun } from '../../support/measuredCli';
import { writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { BERT_VOCAB, REPO_ROOT, sharedFile } from '../../support/paths';
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
  const r = await runCli(c.args, {}, 2 * (c.maxSeconds ?? MAX_SECONDS));
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
  const dir = tempDir('user');
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
      tempDir('cache'),
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

/** A small random BertForSequenceClassification with the real BERT vocabulary, in a user folder. */
function userModel(spec: Partial<CheckpointSpec> = {}): { dir: string; model: string } {
  const dir = tempDir('user');
  const model = path.join(dir, 'model');
  writeRandomCheckpoint(model, {
    layers: 2,
    heads: 2,
    hidden: 16,
    vocab: 30522,
    numLabels: 1,
    seed: 5,
    ...spec,
  });
  fs.copyFileSync(BERT_VOCAB(), path.join(model, 'vocab.txt'));
  return { dir, model };
}

/** Rewrites a safetensors header (the data stays, offsets are relative to it). */
function editHeader(file: string, edit: (header: Record<string, unknown>) => void): void {
  const bytes = fs.readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([prefix, json, bytes.subarray(8 + length)]));
}

const HUNDRED_GB = 100 * 10 ** 9;

describe('ranklens score refuses a checkpoint that cannot be right, with one line', () => {
  const score = (model: string, cache: string) => [
    'score',
    '--model',
    model,
    '--query',
    'what is a period',
    '--passage',
    '. A period ends a sentence.',
    '--cache-dir',
    cache,
  ];

  for (const [field, value, expected] of [
    ['layer_norm_eps', 1e308, /"layer_norm_eps" must be a number above 0 and at most 0\.1 .*found 1e\+308/],
    ['num_hidden_layers', 1_000_000, /"num_hidden_layers" must be an integer from 1 to 256, found 1000000/],
    ['vocab_size', 10 ** 9, /"vocab_size" must be an integer from 1 to 1000000, found 1000000000/],
    ['num_attention_heads', 3, /hidden_size 16 is not a multiple of num_attention_heads 3/],
  ] as const) {
    it(`config.json with ${field} ${value}: named before any tensor is looked for`, async () => {
      const u = userModel({ configOverrides: { [field]: value } });
      await expectRefusal({
        args: score(u.model, tempDir()),
        code: 1,
        message: new RegExp(`^ranklens score: .*model/config\\.json: ${expected.source}`),
        userFolder: u.dir,
      });
    });
  }

  it('a NaN weight in the middle, which never poisons the cache another checkpoint uses', async () => {
    const cache = tempDir('cache');
    const good = userModel();
    const first = await runCli(score(good.model, cache));
    assert.equal(first.code, 0, first.err);
    const poisoned = userModel({
      mutate: (tensors) => {
        tensors.get('bert.encoder.layer.1.intermediate.dense.weight')!.data[700] = NaN;
      },
    });
    await expectRefusal({
      args: score(poisoned.model, cache),
      code: 1,
      message:
        /model\.safetensors: tensor "bert\.encoder\.layer\.1\.intermediate\.dense\.weight" holds NaN at element 700 of 1024; expected finite weights\n$/,
      userFolder: poisoned.dir,
    });
    const again = await runCli(score(good.model, cache));
    assert.equal(again.out, first.out, 'the valid checkpoint scores exactly as before');
  });

  it('an infinite weight', async () => {
    const u = userModel({
      mutate: (tensors) => {
        tensors.get('classifier.weight')!.data[3] = -Infinity;
      },
    });
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message: /tensor "classifier\.weight" holds -Infinity at element 3/,
      userFolder: u.dir,
    });
  });

  it('finite weights whose score overflows: a non-finite logit is an error, not a printed NaN', async () => {
    const u = userModel({
      mutate: (tensors) => {
        tensors.get('classifier.weight')!.data.fill(3e38);
      },
    });
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message: /the model produced a non-finite logit \((-?Infinity|NaN)\)/,
      userFolder: u.dir,
    });
  });

  it('a legal-sized but deeply nested safetensors header is rejected before parsing', async () => {
    const u = userModel();
    const depth = 4 * 2 ** 20; // 8 MiB of brackets: JSON.parse of the like took 44 s and 4.9 GB
    const json = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(path.join(u.model, 'model.safetensors'), Buffer.concat([prefix, json]));
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message: /model\.safetensors: bad safetensors header: nested more than 3 levels deep at header byte 7;/,
      userFolder: u.dir,
      maxSeconds: 15,
    });
  });

  it('a sparse 100 GB tensor the model does not use is refused before anything reads it', async () => {
    const u = userModel();
    const file = path.join(u.model, 'model.safetensors');
    let dataEnd = 0;
    editHeader(file, (header) => {
      for (const entry of Object.values(header) as { data_offsets?: number[] }[]) {
        dataEnd = Math.max(dataEnd, entry.data_offsets?.[1] ?? 0);
      }
      header['bert.junk'] = {
        dtype: 'F32',
        shape: [HUNDRED_GB / 4],
        data_offsets: [dataEnd, dataEnd + HUNDRED_GB],
      };
    });
    fs.truncateSync(file, fs.statSync(file).size + HUNDRED_GB);
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message: /model\.safetensors: holds 95367 MiB of tensors a BertForSequenceClassification does not use/,
      userFolder: u.dir,
    });
  });

  it('a safetensors file padded out to 100 GB', async () => {
    const u = userModel();
    fs.truncateSync(path.join(u.model, 'model.safetensors'), HUNDRED_GB);
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message: /model\.safetensors: \d+ bytes follow the last tensor .*; expected the file to end there/,
      userFolder: u.dir,
    });
  });

  it('a tensor too large to hold (8 GB, sparse), matching a config that is within every bound', async () => {
    const u = userModel({
      configOverrides: { vocab_size: 1_000_000, hidden_size: 2048, num_attention_heads: 16 },
    });
    const file = path.join(u.model, 'model.safetensors');
    const bytes = 1_000_000 * 2048 * 4;
    const json = Buffer.from(
      JSON.stringify({
        'bert.embeddings.word_embeddings.weight': {
          dtype: 'F32',
          shape: [1_000_000, 2048],
          data_offsets: [0, bytes],
        },
      }),
    );
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(file, Buffer.concat([prefix, json]));
    fs.truncateSync(file, 8 + json.length + bytes);
    await expectRefusal({
      args: score(u.model, tempDir()),
      code: 1,
      message:
        /tensor "bert\.embeddings\.word_embeddings\.weight" \[1000000, 2048\] would take 7\.6 GiB as float32; expected at most 4 GiB per tensor/,
      userFolder: u.dir,
    });
  });

  it('a symbolic link loop as --model', async () => {
    const dir = tempDir('user');
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    fs.symlinkSync(b, a);
    fs.symlinkSync(a, b);
    await expectRefusal({
      args: score(a, tempDir()),
      code: 1,
      message: /^ranklens score: symbolic link loop at .*\/a\n$/,
      userFolder: dir,
    });
  });
});

const DEV600 = ['msmarco', 'dev600_bm25_top20'] as const;
const MODEL = path.join(REPO_ROOT, 'models', 'ranklens-mini');

/** `ranklens score` of a tiny pair with `model`, then `extra`. */
const scoreWith = (model: string, ...extra: string[]) => [
  'score',
  '--model',
  model,
  '--query',
  'q',
  '--passage',
  'p',
  ...extra,
];
/** scoreWith the bundled model. */
const scoreArgs = (...extra: string[]) => scoreWith(MODEL, ...extra);

/** A user folder with the first three dev600 queries' BM25 top 20 (60 lines) and the full qrels and queries. */
function analysisFolder(): { dir: string; run: string; queries: string; qrels: string; collection: string } {
  const dir = tempDir('user');
  const run = path.join(dir, 'run.tsv');
  const lines = fs.readFileSync(sharedFile(...DEV600, 'run.dev600.bm25-top20.tsv'), 'utf8').split('\n');
  fs.writeFileSync(run, lines.slice(0, 60).join('\n') + '\n');
  return {
    dir,
    run,
    queries: sharedFile(...DEV600, 'queries.dev600.tsv'),
    qrels: sharedFile(...DEV600, 'qrels.dev600.txt'),
    collection: sharedFile(...DEV600, 'collection.dev600-bm25-top20.tsv'),
  };
}

/** `ranklens analyze NAME` on an analysisFolder's files, with a fresh graph cache; `extra` last. */
function analyzeArgs(
  name: string,
  u: ReturnType<typeof analysisFolder>,
  extra: readonly string[],
  data: { run?: string; queries?: string; qrels?: string } = {},
): string[] {
  const given = { run: u.run, queries: u.queries, qrels: u.qrels, ...data };
  return [
    'analyze',
    name,
    '--collection',
    u.collection,
    ...(['queries', 'qrels', 'run'] as const).flatMap((k) => (given[k] ? [`--${k}`, given[k]] : [])),
    '--model',
    MODEL,
    '--cache-dir',
    tempDir('cache'),
    ...extra,
  ];
}

/** A folder of the user's: a package.json, an earlier analysis's result.json and an eval.json. */
function foldersOfUserFiles(): string {
  const dir = tempDir('user');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "mine" }\n');
  fs.writeFileSync(path.join(dir, 'result.json'), '{ "format": "ranklens-result/1" }\n');
  fs.writeFileSync(path.join(dir, 'eval.json'), '{ "mrr10": 0.18 }\n');
  fs.writeFileSync(path.join(dir, 'old.partial'), 'half a file');
  fs.utimesSync(path.join(dir, 'old.partial'), new Date(0), new Date(0));
  return dir;
}

describe('the graph cache never deletes or changes a file it did not write', () => {
  const score = (cache: string) => [
    'score',
    '--model',
    MODEL,
    '--query',
    'what is a period',
    '--passage',
    'A period ends a sentence.',
    '--cache-dir',
    cache,
  ];

  it('--cache-dir naming a folder of the user files is refused, every file byte-identical', async () => {
    const dir = foldersOfUserFiles();
    await expectRefusal({
      args: score(dir),
      code: 1,
      message:
        /^ranklens score: .*: expected an empty folder or a RankLens graph cache \(one with \.ranklens-graph-cache\) as the graph cache, found a folder with other files \(eval\.json, old\.partial, package\.json, …\); give --cache-dir a folder of its own\n$/,
      userFolder: dir,
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['eval.json', 'old.partial', 'package.json', 'result.json']);
  });

  it('--cache-dir equal to an earlier --out: the result.json there survives the next analysis', async () => {
    const u = analysisFolder();
    const out = path.join(u.dir, 'out');
    const first = await runCli(analyzeArgs('rerank', u, ['--depth', '2', '--out', out]));
    assert.equal(first.code, 0, first.err);
    const before = snapshotTree(u.dir);
    const again = await runCli([
      ...analyzeArgs('rerank', u, ['--depth', '2', '--out', path.join(u.dir, 'second')]),
      '--cache-dir',
      out,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.err, /out: expected an empty folder or a RankLens graph cache/);
    assert.deepEqual(snapshotTree(u.dir), before);
  });

  it('files of the user put into a cache folder later are never trimmed', async () => {
    const cache = path.join(tempDir('cache'), 'graphs');
    const first = await runCli(score(cache));
    assert.equal(first.code, 0, first.err);
    for (const name of ['package.json', 'result.json', 'old.partial', 'notes.onnx.partial'])
      fs.writeFileSync(path.join(cache, name), name);
    for (const name of ['old.partial', 'notes.onnx.partial'])
      fs.utimesSync(path.join(cache, name), new Date(0), new Date(0));
    const userFiles = () =>
      new Map([...snapshotTree(cache)].filter(([name]) => !name.startsWith('bert-') && !name.includes('/')));
    const before = userFiles();
    const { trimGraphCache } = await import('../../../src/core/bert/cache');
    trimGraphCache(cache, 0);
    assert.deepEqual(userFiles(), before);
    assert.deepEqual(
      fs.readdirSync(cache).filter((name) => name.startsWith('bert-')),
      [],
      'its own graphs and manifests are trimmed',
    );
  });
});

describe('an analysis never writes over one of its inputs', () => {
  it('analyze rerank --out . beside --run rerank.tsv is refused before any work', async () => {
    const u = analysisFolder();
    const run = path.join(u.dir, 'rerank.tsv');
    fs.renameSync(u.run, run);
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--depth', '5', '--out', u.dir], { run }),
      code: 1,
      message:
        /rerank\.tsv: expected an output file that is not one of the inputs, found the same file as the input .*rerank\.tsv\n$/,
      userFolder: u.dir,
    });
  });

  it('the same file under another name (a hard link) is still the input', async () => {
    const u = analysisFolder();
    const out = path.join(u.dir, 'out');
    fs.mkdirSync(out);
    fs.linkSync(u.run, path.join(out, 'fused.trec'));
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--depth', '5', '--out', out]),
      code: 1,
      message:
        /out\/fused\.trec: expected an output file that is not one of the inputs, found the same file as the input .*run\.tsv\n$/,
      userFolder: u.dir,
    });
  });

  it('an input named result.json inside --out', async () => {
    const u = analysisFolder();
    const queries = path.join(u.dir, 'result.json');
    fs.copyFileSync(u.queries, queries);
    await expectRefusal({
      args: analyzeArgs('attention', u, ['--depth', '5', '--out', u.dir], { queries }),
      code: 1,
      message: /result\.json: expected an output file that is not one of the inputs/,
      userFolder: u.dir,
    });
  });

  it('merge refuses to write over an input the shards read', async () => {
    const u = analysisFolder();
    const out = path.join(u.dir, 'out');
    const shard = await runCli(analyzeArgs('rerank', u, ['--depth', '2', '--out', out, '--shard', '1/1']));
    assert.equal(shard.code, 0, shard.err);
    fs.linkSync(u.run, path.join(out, 'rerank.tsv'));
    await expectRefusal({
      args: ['merge', out],
      code: 1,
      message:
        /^ranklens merge: .*out\/rerank\.tsv: expected an output file that is not one of the inputs, found the same file as the input .*run\.tsv\n$/,
      userFolder: u.dir,
    });
  });

  it('report --out naming one of the workspace files it reads', async () => {
    const workspace = tempDir('user');
    fs.cpSync(path.join(REPO_ROOT, 'sample-workspace'), workspace, { recursive: true });
    await expectRefusal({
      args: [
        'report',
        '--workspace',
        workspace,
        '--out',
        path.join(workspace, 'run.dev600-heldout.bm25.tsv'),
      ],
      code: 1,
      message: /run\.dev600-heldout\.bm25\.tsv: expected an output file that is not one of the inputs/,
      userFolder: workspace,
    });
  });
});

/** The measures of `ranklens eval --json`'s output (the file names left out). */
function measuresOf(json: string) {
  const { mrr, ndcg, recall, queriesEvaluated } = JSON.parse(json) as Record<string, unknown>;
  return { mrr, ndcg, recall, queriesEvaluated };
}

/** The measures `ranklens eval --json` gives for a run. */
async function evalJson(run: string, qrels: string) {
  const r = await runCli(['eval', '--run', run, '--qrels', qrels, '--json']);
  assert.equal(r.code, 0, r.err);
  return measuresOf(r.out);
}

/** `ranklens ARGS` run by bash (for pipes and process substitution), `$1`... being `values`. */
function throughBash(command: string, values: readonly string[]): string {
  const cli = `"${process.execPath}" --import tsx "${path.join(REPO_ROOT, 'src', 'cli', 'main.ts')}"`;
  return execFileSync('bash', ['-c', command.replaceAll('ranklens', cli), 'bash', ...values], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

describe('no silent wrong answers', () => {
  it('a shuffled 4-column "qid pid rank score" run is ranked by its rank column, not read as top1000', async () => {
    const u = analysisFolder();
    const lines = fs.readFileSync(u.run, 'utf8').trim().split('\n');
    const scored = lines.map((line) => {
      const [qid, pid, rank] = line.split('\t');
      return `${qid}\t${pid}\t${rank}\t${(100 - Number(rank)).toFixed(2)}`;
    });
    const shuffled = path.join(u.dir, 'run4.tsv');
    fs.writeFileSync(shuffled, scored.reverse().join('\n') + '\n');
    assert.deepEqual(await evalJson(shuffled, u.qrels), await evalJson(u.run, u.qrels));
  });

  it('a 4-column run whose later line has text instead of a rank and score, with its line', async () => {
    const u = analysisFolder();
    const run = path.join(u.dir, 'run4.tsv');
    fs.writeFileSync(run, '9083\t4429824\t1\t12.5\n9083\t1\tsome query\tsome passage\n');
    await expectRefusal({
      args: ['eval', '--run', run, '--qrels', u.qrels],
      code: 1,
      message: /run4\.tsv:2: expected a positive integer rank in column 3, found "some query"\n$/,
      userFolder: u.dir,
    });
  });

  for (const name of ['attention', 'period-mask', 'attribution']) {
    for (const grade of ['0', '-5']) {
      it(`analyze ${name} --min-relevance ${grade} (unjudged pairs would count as relevant)`, async () => {
        const u = analysisFolder();
        await expectRefusal({
          args: analyzeArgs(name, u, ['--min-relevance', grade, '--out', path.join(u.dir, 'out')]),
          code: 2,
          message: new RegExp(
            `^ranklens analyze: --min-relevance must be a grade above 0 \\(a whole number: 1 for MS MARCO, 2 for TREC DL\\), got ${grade} `,
          ),
          userFolder: u.dir,
        });
      });
    }
  }

  for (const name of ['rerank', 'head-importance']) {
    it(`analyze ${name} without --run (it wrote an all-zero result)`, async () => {
      const u = analysisFolder();
      await expectRefusal({
        args: analyzeArgs(name, u, ['--out', path.join(u.dir, 'out')], { run: '' }),
        code: 2,
        message: /^ranklens analyze: --run is required /,
        userFolder: u.dir,
      });
    });
  }

  it('analyze head-importance without --qrels (nothing to measure MRR@10 with)', async () => {
    const u = analysisFolder();
    await expectRefusal({
      args: analyzeArgs('head-importance', u, ['--out', path.join(u.dir, 'out')], { qrels: '' }),
      code: 2,
      message: /^ranklens analyze: --qrels is required /,
      userFolder: u.dir,
    });
  });

  it('a pos: mask beyond the pair (it masked nothing)', async () => {
    const dir = tempDir('user');
    await expectRefusal({
      args: scoreArgs('--mask', 'attention:pos:50->all', '--cache-dir', tempDir('cache')),
      code: 1,
      message:
        /^ranklens score: mask position pos:50 is beyond the pair's 5 tokens; expected positions 0-4\n$/,
      userFolder: dir,
    });
  });

  for (const seed of ['4294967296', '9007199254740993', '1.5', '-1']) {
    it(`--seed ${seed} (it wrapped at 2^32 or was rounded)`, async () => {
      const u = analysisFolder();
      await expectRefusal({
        args: analyzeArgs('rerank', u, ['--sample', '2', '--seed', seed, '--out', path.join(u.dir, 'out')]),
        code: 2,
        message: new RegExp(
          `^ranklens analyze: --seed must be a whole number from 0 to 4294967295, got ${seed} `,
        ),
        userFolder: u.dir,
      });
    });
  }
});

describe('ranklens score refuses a safetensors layout the format forbids', () => {
  const score = (model: string) => scoreWith(model, '--cache-dir', tempDir('cache'));
  type Entry = { data_offsets: [number, number] };

  it('data_offsets that alias one tensor onto another, naming both', async () => {
    const u = userModel();
    editHeader(path.join(u.model, 'model.safetensors'), (header) => {
      const bias = header['classifier.bias'] as Entry;
      const weight = header['classifier.weight'] as Entry;
      bias.data_offsets = [weight.data_offsets[0], weight.data_offsets[0] + 4];
    });
    await expectRefusal({
      args: score(u.model),
      code: 1,
      message:
        /model\.safetensors: bad safetensors header: tensor "classifier\.(bias|weight)" begins at data byte \d+, but "[^"]+" ends at \d+ \(their data_offsets overlap\)/,
      userFolder: u.dir,
    });
  });

  it('data_offsets that leave a gap between two tensors', async () => {
    const u = userModel();
    const file = path.join(u.model, 'model.safetensors');
    let last = '';
    editHeader(file, (header) => {
      const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as [string, Entry][];
      const [name, entry] = entries.reduce((a, b) => (b[1].data_offsets[1] > a[1].data_offsets[1] ? b : a));
      entry.data_offsets = [entry.data_offsets[0] + 8, entry.data_offsets[1] + 8];
      last = name;
    });
    fs.appendFileSync(file, Buffer.alloc(8));
    await expectRefusal({
      args: score(u.model),
      code: 1,
      message: new RegExp(
        `tensor "${last.replace(/\./g, '\\.')}" begins at data byte \\d+, but "[^"]+" ends at \\d+ \\(their data_offsets leave a gap\\)`,
      ),
      userFolder: u.dir,
    });
  });
});

describe('inputs users actually have: pipes, FIFOs, gzip', () => {
  it('--run /dev/stdin reads the pipe once (it failed with ESPIPE naming no file)', async () => {
    const u = analysisFolder();
    const out = throughBash('cat "$1" | ranklens eval --run /dev/stdin --qrels "$2" --json', [
      u.run,
      u.qrels,
    ]);
    assert.deepEqual(measuresOf(out), await evalJson(u.run, u.qrels));
  });

  it('a named pipe as --run', async () => {
    const u = analysisFolder();
    const fifo = path.join(tempDir('fifo'), 'run.fifo');
    execFileSync('mkfifo', [fifo]);
    // A reader that fails early closes the pipe: the writer's EPIPE is that failure, reported below.
    const writing = fs.promises.writeFile(fifo, fs.readFileSync(u.run)).catch((error: Error) => error);
    const viaFifo = await evalJson(fifo, u.qrels).finally(() => writing);
    assert.equal(await writing, undefined, 'the whole run was read');
    assert.deepEqual(viaFifo, await evalJson(u.run, u.qrels));
  });

  it('--run <(zcat run.gz): process substitution', async () => {
    const u = analysisFolder();
    fs.writeFileSync(`${u.run}.gz`, gzipSync(fs.readFileSync(u.run)));
    const out = throughBash('ranklens eval --run <(gzip -dc "$1") --qrels "$2" --json', [
      `${u.run}.gz`,
      u.qrels,
    ]);
    assert.deepEqual(measuresOf(out), await evalJson(u.run, u.qrels));
  });

  it('run.gz and a one-file run.tar.gz are read directly, recognised by content', async () => {
    const u = analysisFolder();
    const expected = await evalJson(u.run, u.qrels);
    const gz = path.join(u.dir, 'run.tsv.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(u.run)));
    assert.deepEqual(await evalJson(gz, u.qrels), expected);
    const tarGz = path.join(u.dir, 'top.tar.gz');
    execFileSync('tar', ['czf', tarGz, '-C', u.dir, 'run.tsv']);
    assert.deepEqual(await evalJson(tarGz, u.qrels), expected);
  });

  it('a gzip bomb (256 MiB of newlines in 256 KiB) is refused in bounded time and memory', async () => {
    const u = analysisFolder();
    const bomb = path.join(u.dir, 'run.tsv.gz');
    const newlines = Buffer.alloc(2 ** 28, 0x0a);
    fs.writeFileSync(bomb, gzipSync(newlines, { level: 9 }));
    await expectRefusal({
      args: ['eval', '--run', bomb, '--qrels', u.qrels],
      code: 1,
      message:
        /run\.tsv\.gz: expected gzip data that expands at most 50-fold, found \d+ MiB from \d+ MiB of it \(a decompression bomb\?\)\n$/,
      userFolder: u.dir,
      maxSeconds: 20,
    });
  });

  it('a corrupt .gz names the file', async () => {
    const u = analysisFolder();
    const gz = path.join(u.dir, 'run.tsv.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(u.run)).subarray(0, 200));
    await expectRefusal({
      args: ['eval', '--run', gz, '--qrels', u.qrels],
      code: 1,
      message: /run\.tsv\.gz: expected complete gzip data, found unexpected end of file \(Z_BUF_ERROR\)\n$/,
      userFolder: u.dir,
    });
  });

  it('a named pipe as --collection is refused at once (it hung), never opened', async () => {
    const u = analysisFolder();
    const fifo = path.join(u.dir, 'collection.fifo');
    execFileSync('mkfifo', [fifo]);
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--out', path.join(u.dir, 'out')]).map((a) =>
        a === u.collection ? fifo : a,
      ),
      code: 1,
      message:
        /collection\.fifo: expected a regular collection file \(passages are read from it by byte offset\), found a pipe; save it to a file first\n$/,
      userFolder: u.dir,
      maxSeconds: 15,
    });
  });

  it('a gzipped --collection is refused with what to do', async () => {
    const u = analysisFolder();
    const gz = path.join(u.dir, 'collection.tsv.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(u.collection)));
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--out', path.join(u.dir, 'out')]).map((a) =>
        a === u.collection ? gz : a,
      ),
      code: 1,
      message:
        /collection\.tsv\.gz: expected an uncompressed collection .*, found gzip data; decompress it first/,
      userFolder: u.dir,
    });
  });

  it('a queries file with 12 of the 600 queries: those 12 are analysed, and the rest said to be left out', async () => {
    const u = analysisFolder();
    const queries = path.join(u.dir, 'q12.tsv');
    const all = fs.readFileSync(u.queries, 'utf8').split('\n');
    fs.writeFileSync(queries, all.slice(0, 12).join('\n') + '\n');
    const full = sharedFile(...DEV600, 'run.dev600.bm25-top20.tsv');
    const out = path.join(u.dir, 'out');
    const r = await runCli(analyzeArgs('rerank', u, ['--depth', '2', '--out', out], { queries, run: full }));
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /^ranklens analyze rerank: analysing 12 queries; 588 other queries of --qrels have no text in --queries .*q12\.tsv and are left out\n/,
    );
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as {
      data: { queries: number; queriesWithoutText: number };
    };
    assert.equal(result.data.queries, 12);
    assert.equal(result.data.queriesWithoutText, 588);
  });
});

const asRoot = process.getuid?.() === 0;
/** A small file system mounted at a fresh folder (root only), unmounted after `use`. */
async function withMount(options: string, use: (mount: string) => Promise<void>): Promise<void> {
  const mount = tempDir('mount');
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mount]);
  try {
    await use(mount);
  } finally {
    execFileSync('umount', [mount]);
  }
}

/** A test on a small file system of its own (mounted for it; root only), given its mount point. */
function itOnTmpfs(name: string, mountOptions: string, body: (mount: string) => Promise<void>): void {
  it(name, { skip: !asRoot && 'needs root to mount' }, () => withMount(mountOptions, body));
}

describe('messages and output paths', () => {
  it('--out /proc/x is refused at once (recursive mkdir looped)', async () => {
    const u = analysisFolder();
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--depth', '2', '--out', '/proc/ranklens-x']),
      code: 1,
      message:
        /^ranklens analyze: \/proc\/ranklens-x: expected a folder that can be created, found \/proc allows no new folders\n$/,
      userFolder: u.dir,
      maxSeconds: 20,
    });
  });

  it('--out --json (the value forgotten) writes no file named --json', async () => {
    const u = userFolder();
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', '--json'],
      code: 2,
      message: /^ranklens eval: --out needs a value, found the option --json /,
      userFolder: u.dir,
    });
    assert.ok(!fs.existsSync(path.join(REPO_ROOT, '--json')));
  });

  it('a symbolic link loop as --collection says so (it said "no such file")', async () => {
    const u = analysisFolder();
    const [a, b] = [path.join(u.dir, 'a.tsv'), path.join(u.dir, 'b.tsv')];
    fs.symlinkSync(b, a);
    fs.symlinkSync(a, b);
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--out', path.join(u.dir, 'out')]).map((x) =>
        x === u.collection ? a : x,
      ),
      code: 1,
      message: /a\.tsv: expected a file, found a symbolic link loop at .*a\.tsv\n$/,
      userFolder: u.dir,
    });
  });

  it('--threads 1e9 is bounded by the cores (it died with std::bad_alloc)', async () => {
    const dir = tempDir('user');
    await expectRefusal({
      args: scoreArgs('--threads', '1e9'),
      code: 2,
      message:
        /^ranklens score: --threads must be at most \d+ \(the cores of this machine\), got 1000000000 /,
      userFolder: dir,
    });
  });

  it('--max-length 1 names the option (it said maxLength)', async () => {
    const dir = tempDir('user');
    await expectRefusal({
      args: scoreArgs('--max-length', '1'),
      code: 2,
      message: /^ranklens score: --max-length must be at least 3 \(\[CLS\] and two \[SEP\]\), got 1 /,
      userFolder: dir,
    });
  });

  itOnTmpfs('a read-only file system is named as such, for eval and analyze', 'size=1m,ro', async (mount) => {
    const u = analysisFolder();
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', path.join(mount, 'e.json')],
      code: 1,
      message: /^ranklens eval: .*\/e\.json: read-only file system\n$/,
      userFolder: u.dir,
    });
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--depth', '2', '--out', path.join(mount, 'a')]),
      code: 1,
      message: /^ranklens analyze: .*\/a: read-only file system\n$/,
      userFolder: u.dir,
    });
  });

  itOnTmpfs(
    'a full disk under eval --out names --out, not its temporary .partial',
    'size=64k',
    async (mount) => {
      const u = userFolder();
      fs.writeFileSync(path.join(mount, 'filler'), Buffer.alloc(60 * 1024));
      const before = snapshotTree(mount);
      await expectRefusal({
        args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', path.join(mount, 'e.json')],
        code: 1,
        message: /^ranklens eval: no space left on the device while writing .*\/e\.json\n$/,
        userFolder: u.dir,
      });
      assert.deepEqual(snapshotTree(mount), before, 'no partial file is left behind');
    },
  );
});

describe('more of the same: cases beyond the issue', () => {
  it('eval --out naming a hard link or a symbolic link to an input', async () => {
    const u = userFolder();
    fs.linkSync(u.run, path.join(u.dir, 'hard.tsv'));
    fs.symlinkSync(u.qrels, path.join(u.dir, 'qrels.link'));
    for (const out of ['hard.tsv', 'qrels.link']) {
      await expectRefusal({
        args: ['eval', '--run', u.run, '--qrels', u.qrels, '--out', path.join(u.dir, out)],
        code: 1,
        message: new RegExp(
          `${out.replace('.', '\\.')}: expected an output file that is not one of the inputs`,
        ),
        userFolder: u.dir,
      });
    }
  });

  it('--cache-dir through a symbolic link to a folder of the user, or naming a file', async () => {
    const dir = foldersOfUserFiles();
    const link = path.join(tempDir('user'), 'cache-link');
    fs.symlinkSync(dir, link);
    const score = (cache: string) => scoreArgs('--cache-dir', cache);
    await expectRefusal({
      args: score(link),
      code: 1,
      message: /cache-link: expected an empty folder or a RankLens graph cache/,
      userFolder: dir,
    });
    await expectRefusal({
      args: score(path.join(dir, 'package.json')),
      code: 1,
      message: /package\.json: expected a folder for the graph cache, found a file\n$/,
      userFolder: dir,
    });
  });

  it('analyze --out naming a file', async () => {
    const u = analysisFolder();
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--out', u.run]),
      code: 1,
      message: /run\.tsv: expected a folder for the results \(--out DIR\), found a file\n$/,
      userFolder: u.dir,
    });
  });

  it('a tar.gz with two files, an empty .gz, a collection piped to /dev/stdin', async () => {
    const u = analysisFolder();
    fs.copyFileSync(u.run, path.join(u.dir, 'other.tsv'));
    const twoFiles = path.join(u.dir, 'two.tar.gz');
    execFileSync('tar', ['czf', twoFiles, '-C', u.dir, 'run.tsv', 'other.tsv']);
    const empty = path.join(u.dir, 'empty.gz');
    fs.writeFileSync(empty, gzipSync(Buffer.alloc(0)));
    await expectRefusal({
      args: ['eval', '--run', twoFiles, '--qrels', u.qrels],
      code: 1,
      message: /two\.tar\.gz: expected a tar archive holding one file, found "run\.tsv" and "other\.tsv"\n$/,
      userFolder: u.dir,
    });
    await expectRefusal({
      args: ['eval', '--run', empty, '--qrels', u.qrels],
      code: 1,
      message: /empty\.gz: expected at least one run line, found an empty file\n$/,
      userFolder: u.dir,
    });
    assert.throws(
      () =>
        throughBash(
          'cat "$1" | ranklens analyze rerank --collection /dev/stdin --queries "$2" --qrels "$3" --run "$4" --out "$5"',
          [u.collection, u.queries, u.qrels, u.run, path.join(u.dir, 'out')],
        ),
      /\/dev\/stdin: expected a regular collection file \(passages are read from it by byte offset\), found a pipe/,
    );
  });

  it('gzipped queries and qrels, and a collection with a byte order mark and CRLF lines, give the plain result', async () => {
    const u = analysisFolder();
    const plain = await runCli(
      analyzeArgs('rerank', u, ['--depth', '2', '--json', '--out', path.join(u.dir, 'plain')]),
    );
    assert.equal(plain.code, 0, plain.err);
    const gz = (file: string) => {
      const out = path.join(u.dir, `${path.basename(file)}.gz`);
      fs.writeFileSync(out, gzipSync(fs.readFileSync(file)));
      return out;
    };
    const collection = path.join(u.dir, 'collection.tsv');
    const crlf = fs.readFileSync(u.collection, 'utf8').replace(/\n/g, '\r\n');
    fs.writeFileSync(collection, `\ufeff${crlf}`);
    const other = await runCli(
      analyzeArgs(
        'rerank',
        { ...u, collection },
        ['--depth', '2', '--json', '--out', path.join(u.dir, 'other')],
        {
          queries: gz(u.queries),
          qrels: gz(u.qrels),
        },
      ),
    );
    assert.equal(other.code, 0, other.err);
    const resultOf = (out: string) => (JSON.parse(out) as { result: unknown }).result;
    assert.deepEqual(resultOf(other.out), resultOf(plain.out));
  });

  it('--min-relevance 1.5 (a grade between grades)', async () => {
    const u = userFolder();
    await expectRefusal({
      args: ['eval', '--run', u.run, '--qrels', u.qrels, '--min-relevance', '1.5'],
      code: 2,
      message:
        /--min-relevance must be a grade above 0 \(a whole number: 1 for MS MARCO, 2 for TREC DL\), got 1\.5 /,
      userFolder: u.dir,
    });
  });

  it('a queries file with none of the qrels queries', async () => {
    const u = analysisFolder();
    const queries = path.join(u.dir, 'none.tsv');
    fs.writeFileSync(queries, 'x1\tsome query\n');
    await expectRefusal({
      args: analyzeArgs('rerank', u, ['--out', path.join(u.dir, 'out')], { queries }),
      code: 1,
      message:
        /none\.tsv: expected the text of at least one of the 600 queries in .*qrels\.dev600\.txt, found none of them\n$/,
      userFolder: u.dir,
    });
  });

  itOnTmpfs(
    'a graph cache and an --out on a full disk name the folder, and leave nothing half-written',
    'size=1m',
    async (mount) => {
      const u = analysisFolder();
      fs.writeFileSync(path.join(mount, 'notes.txt'), 'mine');
      await expectRefusal({
        args: scoreArgs('--cache-dir', path.join(mount, 'cache')),
        code: 1,
        message: /^ranklens score: no space left on the device while writing .*\/cache\n$/,
        userFolder: u.dir,
      });
      assert.deepEqual(fs.readdirSync(path.join(mount, 'cache')).sort(), [
        '.ranklens-graph-cache',
        'content-hashes',
      ]);
      assert.equal(fs.readFileSync(path.join(mount, 'notes.txt'), 'utf8'), 'mine');
      fs.rmSync(path.join(mount, 'cache'), { recursive: true });
      fs.writeFileSync(path.join(mount, 'filler'), Buffer.alloc(1000 * 1024));
      await expectRefusal({
        args: analyzeArgs('rerank', u, ['--depth', '2', '--out', path.join(mount, 'out')]),
        code: 1,
        message:
          /^ranklens analyze: no space left on the device while writing .*\/out\/cache\/chunk-[0-9a-f]{64}\.json\n$/,
        userFolder: u.dir,
      });
      assert.deepEqual(fs.readdirSync(path.join(mount, 'out', 'cache')), [], 'no temporary file is left');
    },
  );
});
