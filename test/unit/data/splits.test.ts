import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readQueries, querySplits, splitNameOf, splitsOfQids } from '../../../src/core/data';
import { REPO_ROOT, sharedFile } from '../../support/paths';

const sample = (name: string): string => path.join(REPO_ROOT, 'sample-workspace', name);

describe('query splits named after their files', () => {
  it('reads the split from MS MARCO and TREC file names', () => {
    const cases: Array<[string, string]> = [
      ['sample-workspace/queries.dl19.tsv', 'DL19'],
      ['queries.dev600-heldout.tsv', 'dev600-heldout'],
      ['qrels.dev600-train.txt', 'dev600-train'],
      ['/data/msmarco/queries.dev.small.tsv', 'dev.small'],
      ['qrels.dev.small.tsv', 'dev.small'],
      ['topics.dl19-passage.txt', 'DL19-passage'],
      ['qrels.dl20-passage.txt.gz', 'DL20-passage'],
      ['queries.train.tsv', 'train'],
      ['queries.tsv', 'queries'],
      ['my-queries', 'my-queries'],
      ['dl2019.tsv', 'dl2019'],
    ];
    for (const [file, split] of cases) assert.equal(splitNameOf(file), split, file);
  });

  it('labels each query of the sample workspace with its split: 43 DL19, 400 train, 200 held out', async () => {
    const sets = await Promise.all(
      ['queries.dl19.tsv', 'queries.dev600-train.tsv', 'queries.dev600-heldout.tsv'].map((f) =>
        readQueries(sample(f)),
      ),
    );
    const splits = querySplits(sets);
    const counts = new Map<string, number>();
    for (const split of splits.values()) counts.set(split, (counts.get(split) ?? 0) + 1);
    assert.deepEqual(
      [...counts],
      [
        ['DL19', 43],
        ['dev600-train', 400],
        ['dev600-heldout', 200],
      ],
    );
    assert.equal(splits.get('75801'), 'dev600-heldout', 'the first qid of the shuffled order is held out');
  });

  it('names a qid in two queries files after both', async () => {
    const heldOut = await readQueries(sample('queries.dev600-heldout.tsv'));
    const again = { ...heldOut, file: '/elsewhere/queries.rerun.tsv' };
    assert.equal(querySplits([heldOut, again]).get('75801'), 'dev600-heldout, rerun');
  });

  it('falls back to the qrels file name for qids no queries file holds', async () => {
    const dl19 = await readQueries(sample('queries.dl19.tsv'));
    const qrels = sharedFile('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv');
    assert.deepEqual(splitsOfQids(['1037798', '2'], [dl19], qrels), { '1037798': 'DL19', '2': 'dev.small' });
  });
});
