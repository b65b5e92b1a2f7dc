// src/cli/commands/attribute.ts run in process against a tiny checkpoint with the real vocab.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as attributeCommand from '../../../src/cli/commands/attribute';
import { UsageError } from '../../../src/cli/args';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { BERT_VOCAB, sharedFile } from '../../support/paths';
import { DataError } from '../../../src/core/data';
import { captureOutput } from '../../support/captureOutput';
import { bundledModelDir } from '../../../src/cli/shippedFolders';

let dir: string;
let model: string;
const query = 'what is a cross encoder';
const passage = 'A cross-encoder reads the query and the passage together. It outputs one score.';

const capture = captureOutput;

before(() => {
  dir = tempDir('attr-cli');
  model = path.join(dir, 'model');
  writeRandomCheckpoint(model, {
    layers: 2,
    heads: 2,
    hidden: 8,
    vocab: 30522,
    numLabels: 1,
    seed: 3,
    range: 0.3,
  });
  fs.copyFileSync(BERT_VOCAB(), path.join(model, 'vocab.txt'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const common = () => ['--model', model, '--query', query, '--passage', passage, '--threads', '1'];

interface JsonLayer {
  layer: number;
  baseline: string;
  score_input: number;
  score_baseline: number;
  completeness_error: number;
  points: number;
  converged: boolean;
  attributions: number[];
}

describe('ranklens attribute', () => {
  it('--json: tokens with offsets, every layer for both baselines, completeness reported', async () => {
    const { code, out } = await capture(() => attributeCommand.run([...common(), '--json']));
    assert.equal(code, 0);
    const body = JSON.parse(out) as {
      tokens: { text: string; kind: string; start: number; end: number }[];
      score: number;
      layers: JsonLayer[];
    };
    assert.deepEqual(
      body.layers.map((l) => `${l.layer}:${l.baseline}`),
      [
        '0:empty-query',
        '0:empty-document',
        '1:empty-query',
        '1:empty-document',
        '2:empty-query',
        '2:empty-document',
      ],
    );
    const cross = body.tokens.find((t) => t.kind === 'doc' && t.text === 'cross');
    assert.ok(cross && passage.slice(cross.start, cross.end).toLowerCase() === 'cross');
    for (const layer of body.layers) {
      assert.equal(layer.attributions.length, body.tokens.length);
      assert.ok(layer.converged && layer.completeness_error <= 0.05 && layer.points >= 3);
      const sum = layer.attributions.reduce((a, b) => a + b, 0);
      const delta = layer.score_input - layer.score_baseline;
      assert.ok(Math.abs(sum - delta) <= 0.05 * Math.abs(delta) + 1e-6);
    }
  });

  it('text output for chosen layers and one baseline; warns when the tolerance is not reached', async () => {
    const { code, out, err } = await capture(() =>
      attributeCommand.run([
        ...common(),
        '--layers',
        '1',
        '--baseline',
        'empty-document',
        '--tolerance',
        '1e-9',
        '--max-points',
        '33',
      ]),
    );
    assert.equal(code, 0);
    assert.match(out, /^score -?\d+\.\d{6}\n/);
    // Adaptive Simpson: 3 points, then two per split panel, stopped by --max-points 33.
    assert.match(out, /layer 1, baseline empty-document: .* with 33 points {2}NOT CONVERGED/);
    assert.doesNotMatch(out, /empty-query|layer 0/);
    assert.match(out, /\n +1 {2}query {2}what +-?\d\.\d{6}\n/);
    assert.match(err, /warning: completeness tolerance 1e-9 not reached for layer 1 empty-document/);
  });

  it('takes the query and passage by qid and pid from dataset files, with the same result as the texts', async () => {
    const queries = sharedFile('msmarco', 'dev_small', 'queries.dev-small-subset.tsv');
    const collection = sharedFile('msmarco', 'dev_small', 'collection.dev-small-relevant-subset.tsv');
    const [qid, queryText] = fs.readFileSync(queries, 'utf8').split('\n')[0].split('\t');
    const [pid, passageText] = fs.readFileSync(collection, 'utf8').split('\n')[0].split('\t');
    const options = [
      '--model',
      model,
      '--threads',
      '1',
      '--layers',
      '2',
      '--baseline',
      'empty-document',
      '--json',
    ];
    const byId = await capture(() =>
      attributeCommand.run([
        ...options,
        '--queries',
        queries,
        '--qid',
        qid,
        '--collection',
        collection,
        '--pid',
        pid,
      ]),
    );
    const byText = await capture(() =>
      attributeCommand.run([...options, '--query', queryText, '--passage', passageText]),
    );
    assert.equal(byId.code, 0);
    assert.deepEqual(JSON.parse(byId.out), JSON.parse(byText.out));
    await assert.rejects(
      attributeCommand.run([...options, '--queries', queries, '--qid', 'no-such', '--passage', 'p']),
      (e: unknown) => e instanceof DataError && /no such qid/.test(e.message) && e.message.includes(queries),
    );
    await assert.rejects(attributeCommand.run([...options, '--passage', 'p']), /give --query TEXT/);
  });

  it('without --model attributes with the bundled model, as `ranklens analyze` and `score` do', async () => {
    // The last layer (L = 6 in the bundled model) on one baseline with 3 points keeps the two runs short.
    const pair = ['--query', query, '--passage', passage, '--threads', '1', '--layers', '6'];
    const options = [...pair, '--baseline', 'empty-query', '--max-points', '3', '--json'];
    const implicit = await capture(() => attributeCommand.run(options));
    const explicit = await capture(() => attributeCommand.run(['--model', bundledModelDir(), ...options]));
    assert.equal(implicit.code, 0, implicit.err);
    assert.equal(implicit.out, explicit.out);
    const body = JSON.parse(implicit.out) as { layers: JsonLayer[] };
    assert.deepEqual(
      body.layers.map((l) => l.layer),
      [6],
    );
  });

  it('rejects bad options with usage errors and a missing model with a message', async () => {
    await assert.rejects(attributeCommand.run([...common(), '--baseline', 'none']), UsageError);
    await assert.rejects(attributeCommand.run([...common(), '--layers', 'x']), UsageError);
    await assert.rejects(attributeCommand.run([...common(), '--tolerance', '0']), UsageError);
    const missing = await capture(() =>
      attributeCommand.run(['--model', path.join(dir, 'nope'), '--query', 'q', '--passage', 'p']),
    );
    assert.equal(missing.code, 1);
    assert.match(missing.err, /ranklens attribute: .*nope/);
  });
});
