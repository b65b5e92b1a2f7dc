import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir } from '../../support/checkpoints';
import { tinyDatasetArgs, writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';

let root: string;
let modelDir: string;
let files: TinyDatasetFiles;

before(() => {
  root = tempDir('analyze-cli');
  ({ modelDir, files } = writeTinyModelAndDataset(
    root,
    { layers: 2, heads: 2, hidden: 8, numLabels: 1, seed: 12 },
    { queries: 5, candidates: 4 },
  ));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const dataArgs = () => [
  '--model',
  modelDir,
  ...tinyDatasetArgs(files),
  '--chunk-pairs',
  '5',
  '--threads',
  '1',
  '--cache-dir',
  path.join(root, 'graphs'),
];

describe('ranklens analyze / merge', () => {
  it('analyze rerank writes result.json and runs; shards + merge write the same bytes', async () => {
    const single = path.join(root, 'single');
    const done = await captureOutput(() => main(['analyze', 'rerank', ...dataArgs(), '--out', single]));
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, /re-ranked 5 queries, 20 pairs/);
    assert.match(done.out, /model +MRR@10 \d\.\d{4}/);
    assert.ok(fs.existsSync(path.join(single, 'rerank.trec')));

    const sharded = path.join(root, 'sharded');
    for (const k of ['2/3', '1/3', '3/3']) {
      const r = await captureOutput(() =>
        main(['analyze', 'rerank', ...dataArgs(), '--out', sharded, '--shard', k]),
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /wrote .*partials\/shard-\d-of-3\.json/);
    }
    const merged = await captureOutput(() => main(['merge', sharded]));
    assert.equal(merged.code, 0, merged.err);
    const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
    for (const name of ['result.json', 'rerank.trec', 'rerank.tsv', 'fused.trec'])
      assert.equal(read(sharded, name), read(single, name), name);

    const json = await captureOutput(() =>
      main(['analyze', 'rerank', ...dataArgs(), '--out', single, '--json']),
    );
    assert.equal(json.code, 0);
    assert.equal(JSON.stringify(JSON.parse(json.out), null, 1) + '\n', read(single, 'result.json'));
  });

  it('--help exits 0; bad usage exits 2; a bad merge exits 1 naming the folder', async () => {
    const help = await captureOutput(() => main(['analyze', 'rerank', '--help']));
    assert.equal(help.code, 0);
    assert.match(help.out, /--shard K\/N/);
    assert.equal((await captureOutput(() => main(['analyze', 'nonsense']))).code, 2);
    const badShard = await captureOutput(() =>
      main(['analyze', 'rerank', ...dataArgs(), '--out', root, '--shard', '4/3']),
    );
    assert.equal(badShard.code, 2);
    assert.match(badShard.err, /1 <= k <= N/);
    for (const [argv, message] of [
      [['attribution', '--top-k', '2', '--threshold', '0.5'], /--top-k .* or --threshold .*, not both/],
      [['attribution', '--max-points', '0'], /--max-points must be a positive integer/],
      [['probing', '--pooling', 'max'], /--pooling must be states or logits/],
      [['probing', '--probe-seed', '-1'], /--probe-seed must be a whole number from 0 to 4294967295, got -1/],
      [['rerank', '--fusion-weight', '2'], /--fusion-weight must be within \[0, 1\]/],
      [['interaction-mask', '--mask-kind', 'both'], /--mask-kind must be attention \(the paper\) or token/],
    ] as const) {
      const refused = await captureOutput(() => main(['analyze', ...argv, ...dataArgs(), '--out', root]));
      assert.equal(refused.code, 2, argv.join(' '));
      assert.match(refused.err, message);
    }
    const merge = await captureOutput(() => main(['merge', path.join(root, 'nothing')]));
    assert.equal(merge.code, 1);
    assert.match(merge.err, /nothing.partials: no partials folder/);
  });
});
