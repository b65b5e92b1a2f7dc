// src/cli/commands/score.ts and inspect.ts, run in process against a tiny checkpoint with the real vocab.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { BERT_VOCAB } from '../../support/paths';
import * as scoreCommand from '../../../src/cli/commands/score';
import * as inspectCommand from '../../../src/cli/commands/inspect';
import { bundledModelDir } from '../../../src/cli/shippedFolders';
import { Ranker } from '../../../src/core/runtime/ranker';
import { loadPairEncoder } from '../../../src/core/runtime/text';
import { captureOutput } from '../../support/captureOutput';

let dir: string;
let model: string;
const query = 'what is a cross encoder';
const passage = 'A cross-encoder reads the query and the passage together. It outputs one score.';

const capture = captureOutput;

before(() => {
  dir = tempDir('cli');
  model = path.join(dir, 'model');
  writeRandomCheckpoint(model, { layers: 2, heads: 2, hidden: 8, vocab: 30522, numLabels: 1, seed: 2 });
  fs.copyFileSync(BERT_VOCAB(), path.join(model, 'vocab.txt'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pair and run options without a model. */
const pairOptions = () => [
  '--query',
  query,
  '--passage',
  passage,
  '--threads',
  '1',
  '--cache-dir',
  path.join(dir, 'cache'),
];
const common = () => ['--model', model, ...pairOptions()];

describe('ranklens score', () => {
  it('prints the score the Ranker computes for the encoded pair', async () => {
    const ranker = await Ranker.load(model);
    const pair = loadPairEncoder(model)(query, passage);
    const [expected] = await ranker.score([pair]);
    await ranker.dispose();
    const plain = await capture(() => scoreCommand.run(common()));
    assert.equal(plain.code, 0);
    assert.equal(plain.out, `${expected.score.toFixed(6)} (sigmoid ${expected.sigmoid!.toFixed(6)})\n`);

    const json = await capture(() => scoreCommand.run([...common(), '--json']));
    const body = JSON.parse(json.out);
    assert.equal(body.score, expected.score);
    assert.deepEqual(body.logits, expected.logits);
    assert.deepEqual([body.masks, body.head_masks], [[], []]);
    assert.deepEqual(body.input_ids, Array.from(pair.inputIds));
    assert.equal(body.input_ids[0], 101);
    assert.equal(body.tokens[1].text, 'what');
    assert.deepEqual([body.tokens[1].start, body.tokens[1].end, body.tokens[1].kind], [0, 4, 'query']);
    assert.ok(body.tokens.some((t: { kind: string }) => t.kind === 'period'));
    assert.equal(body.token_type_ids.at(-1), 1);
  });

  it('truncates to --max-length and fails clearly on a bad checkpoint', async () => {
    const short = JSON.parse(
      (await capture(() => scoreCommand.run([...common(), '--json', '--max-length', '12']))).out,
    );
    assert.equal(short.input_ids.length, 12);
    assert.equal(short.passage_truncated, true);
    const missing = await capture(() =>
      scoreCommand.run(['--model', path.join(dir, 'nope'), '--query', 'q', '--passage', 'p']),
    );
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^ranklens score: checkpoint folder .*nope does not exist\n$/);
    await assert.rejects(scoreCommand.run(['--query', 'q']), /--passage is required/);
  });

  it('without --model scores with the bundled model, as `ranklens analyze` does', async () => {
    const bundled = bundledModelDir();
    const pair = pairOptions();
    const implicit = await capture(() => scoreCommand.run(pair));
    const explicit = await capture(() => scoreCommand.run(['--model', bundled, ...pair]));
    assert.equal(implicit.code, 0, implicit.err);
    assert.equal(implicit.out, explicit.out);
    assert.match(implicit.out, /^-?\d+\.\d{6}/);
  });
});

describe('ranklens inspect', () => {
  it('prints attentions and hidden states, with the requested mask applied', async () => {
    const r = await capture(() =>
      inspectCommand.run([
        ...common(),
        '--mask-kind',
        'attention',
        '--layers',
        '1-2',
        '--from',
        'query',
        '--to',
        'doc,period',
      ]),
    );
    assert.equal(r.code, 0);
    const body = JSON.parse(r.out);
    const n = body.input_ids.length;
    assert.equal(body.attentions.length, 2);
    assert.equal(body.attentions[0].length, 2);
    assert.equal(body.attentions[0][0].length, n);
    assert.equal(body.hidden_states.length, 3);
    assert.equal(body.hidden_states[0][0].length, 8);
    const kinds: string[] = body.tokens.map((t: { kind: string }) => t.kind);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const masked = kinds[i] === 'query' && (kinds[j] === 'doc' || kinds[j] === 'period');
        if (masked) assert.equal(body.attentions[1][0][i][j], 0);
      }
    }
    assert.ok(body.attentions[1][0][0].some((v: number) => v > 0));
  });

  it('reads masks from a JSON file and rejects malformed specs', async () => {
    const file = path.join(dir, 'masks.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        // Transformer layer 2's [CLS] key removed; transformer layer 1's head 2 silenced (layers 1..L, heads 1..H).
        masks: [{ kind: 'token', layers: [2], from: 'all', to: ['cls'] }],
        headMasks: [{ layer: 1, heads: [2] }],
      }),
    );
    const body = JSON.parse((await capture(() => inspectCommand.run([...common(), '--masks', file]))).out);
    // The JSON names the masks it was computed under, numbered as the file numbers them.
    assert.deepEqual(body.masks, [{ kind: 'token', layers: [2], from: 'all', to: ['cls'] }]);
    assert.deepEqual(body.head_masks, [{ layer: 1, heads: [2] }]);
    assert.match(body.numbering, /attentions\[l-1\]\[h-1\]\[i\]\[j\]: transformer layer l \(1\.\.L\)/);
    const rowSum = (row: number[]) => row.reduce((a, b) => a + b, 0);
    assert.equal(body.attentions[1][1][3][0], 0);
    assert.ok(Math.abs(rowSum(body.attentions[1][1][3]) - 1) < 1e-5);
    assert.equal(rowSum(body.attentions[0][1][3]), 0);
    fs.writeFileSync(file, JSON.stringify([{ kind: 'both', layers: [1], from: 'all', to: 'all' }]));
    const tokenMask = (layers: string, from: string) => [
      ...common(),
      ...['--mask-kind', 'token', '--layers', layers, '--from', from, '--to', 'all'],
    ];
    await assert.rejects(
      inspectCommand.run([...common(), '--masks', file]),
      /masks\[0\] must be \{"kind": "token"\|"attention"/,
    );
    await assert.rejects(inspectCommand.run(tokenMask('3-1', 'all')), /runs backwards/);
    await assert.rejects(inspectCommand.run(tokenMask('1', 'words')), /unknown token selector "words"/);
    const outOfRange = await capture(() => inspectCommand.run(tokenMask('5', 'all')));
    assert.equal(outOfRange.code, 1);
    assert.match(
      outOfRange.err,
      /mask layer index 4 \(transformer layer 5\) is out of range: the model has transformer layers 1-2/,
    );
    await assert.rejects(inspectCommand.run(tokenMask('0-1', 'all')), /layer 0 is the embedding output/);
    fs.writeFileSync(file, JSON.stringify({ headMasks: [{ layer: 1, heads: [0] }] }));
    await assert.rejects(
      inspectCommand.run([...common(), '--masks', file]),
      /headMasks\[0\]: heads are numbered 1\.\.H/,
    );
  });
});
