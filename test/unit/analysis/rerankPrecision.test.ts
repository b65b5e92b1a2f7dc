import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir } from '../../support/checkpoints';
import { tinyDatasetArgs, writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';

// `--precision int8` end to end on a tiny model: named in result.json, its chunks cached apart from fp32 ones,
// and refused where it has no meaning.
let root: string;
let modelDir: string;
let files: TinyDatasetFiles;

before(() => {
  root = tempDir('rerank-precision');
  ({ modelDir, files } = writeTinyModelAndDataset(
    root,
    { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 21 },
    { queries: 4, candidates: 5 },
  ));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const args = (...more: string[]) => [
  '--model',
  modelDir,
  ...tinyDatasetArgs(files),
  '--threads',
  '1',
  '--cache-dir',
  path.join(root, 'graphs'),
  ...more,
];
const scoresOf = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'rerank.trec'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[4]));

describe('ranklens analyze rerank --precision', () => {
  it('int8 is named in result.json, scores near fp32, and never reuses fp32 chunks', async () => {
    const out = path.join(root, 'shared-out');
    const fp32 = await captureOutput(() => main(['analyze', 'rerank', ...args('--out', out)]));
    assert.equal(fp32.code, 0, fp32.err);
    const exactResult = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    assert.equal(exactResult.model.precision, undefined);
    const exact = scoresOf(out);
    fs.rmSync(path.join(out, 'result.json'));
    for (const name of ['rerank.trec', 'rerank.tsv', 'fused.trec']) fs.rmSync(path.join(out, name));
    // Same output folder and chunk cache: an int8 run must compute its own chunks.
    const int8 = await captureOutput(() =>
      main(['analyze', 'rerank', ...args('--out', out, '--precision', 'int8')]),
    );
    assert.equal(int8.code, 0, int8.err);
    assert.match(int8.out, /\d+ chunks computed, 0 reused/);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    assert.equal(result.model.precision, 'int8');
    const quantised = scoresOf(out);
    assert.equal(quantised.length, exact.length);
    const spread = Math.max(...exact) - Math.min(...exact);
    const worst = Math.max(...exact.map((s, i) => Math.abs(s - quantised[i])));
    assert.ok(worst > 0 && worst < 0.1 * spread, `int8 moved a score by ${worst} (fp32 spread ${spread})`);
  });

  it('score --json names the precision its score was computed in', async () => {
    const pair = ['--model', modelDir, '--query', 'a query', '--passage', 'a passage', '--json'];
    const cache = ['--cache-dir', path.join(root, 'graphs')];
    for (const precision of ['fp32', 'int8']) {
      const scored = await captureOutput(() => main(['score', ...pair, ...cache, '--precision', precision]));
      assert.equal(scored.code, 0, scored.err);
      assert.equal(JSON.parse(scored.out).precision, precision);
    }
  });

  it('refuses a precision it does not know, and int8 outside rerank', async () => {
    for (const [argv, message] of [
      [['rerank', '--precision', 'fp16'], /--precision must be fp32 or int8, got "fp16"/],
      [['head-importance', '--precision', 'int8'], /--precision int8 is for rerank/],
    ] as const) {
      const refused = await captureOutput(() =>
        main(['analyze', ...argv, ...args('--out', path.join(root, 'refused'))]),
      );
      assert.equal(refused.code, 2, argv.join(' '));
      assert.match(refused.err, message);
    }
  });
});
