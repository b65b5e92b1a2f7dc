import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { writeTinyVocab } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';
import { parseHeadMasks, parseMaskFlag, parseMaskFile, takeMaskFlags } from '../../../src/cli/maskFlags';
import { periodsToCommas } from '../../../src/core/analysis/period-mask/periodMask';
import { Ranker } from '../../../src/core/runtime/ranker';
import { encodePair, loadTokenizer } from '../../../src/core/text';

let root: string;
let modelDir: string;
let ranker: Ranker;
const query = 'alpha bravo';
const passage = 'charlie delta. echo alpha, golf. hotel 1.2 india.';

before(async () => {
  root = tempDir('mask-flags');
  modelDir = path.join(root, 'model');
  writeRandomCheckpoint(modelDir, { layers: 2, heads: 2, hidden: 8, numLabels: 1, seed: 5 });
  writeTinyVocab(modelDir);
  ranker = await Ranker.load(modelDir, { threads: 1, cacheDir: path.join(root, 'graphs') });
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const scoreCli = async (...extra: string[]) => {
  const r = await captureOutput(() =>
    main([
      'score',
      '--model',
      modelDir,
      '--query',
      query,
      '--passage',
      passage,
      '--cache-dir',
      path.join(root, 'graphs'),
      '--json',
      ...extra,
    ]),
  );
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as {
    score: number;
    input_ids: number[];
    masks: unknown[];
    head_masks: unknown[];
  };
};

describe('mask flags', () => {
  it('reads A->B as the paper does: B attends, A is attended', () => {
    // Layers are counted 1..L as everywhere in RankLens (0 is the embedding output); the graph's indices are 0-based.
    assert.deepEqual(parseMaskFlag('attention:query->doc@1-3'), {
      kind: 'attention',
      layers: [0, 1, 2],
      from: ['doc'],
      to: ['query'],
    });
    assert.deepEqual(parseMaskFlag('token:period->all'), {
      kind: 'token',
      layers: 'all',
      from: 'all',
      to: ['period'],
    });
    assert.throws(() => parseMaskFlag('attention:query->doc@0-2'), /layer 0 is the embedding output/);
    assert.deepEqual(parseMaskFlag('attention:query-segment,sep-middle->document-segment@1').to, [
      'query-segment',
      'sep-middle',
    ]);
    assert.throws(() => parseMaskFlag('attention:query=>doc'), /expected KIND:A->B\[@LAYERS\]/);
    assert.throws(() => parseMaskFlag('soft:query->doc'), /KIND token or attention/);
    const taken = takeMaskFlags(['--x', '1', '--mask', 'token:cls->all', '--mask=attention:doc->query@1']);
    assert.deepEqual(taken.rest, ['--x', '1']);
    assert.equal(taken.masks.length, 2);
  });

  it('score applies several --mask flags (no attentions printed) and equals the Ranker under the same masks', async () => {
    const pair = encodePair(loadTokenizer(modelDir), query, passage, { maxLength: 64 });
    const plain = await scoreCli();
    const masked = await scoreCli(
      '--mask',
      'attention:query-segment->document-segment@1',
      '--mask',
      'token:period->all@2',
    );
    const [want] = await ranker.score([pair], {
      masks: [
        { kind: 'attention', layers: [0], from: ['document-segment'], to: ['query-segment'] },
        { kind: 'token', layers: [1], from: 'all', to: ['period'] },
      ],
    });
    assert.equal(masked.score, want.score);
    assert.notEqual(masked.score, plain.score);
    assert.equal(masked.masks.length, 2);
    assert.ok(!('attentions' in masked));
  });

  it('counts head masks as users do: transformer layers 1..L, heads 1..H (--head-mask, --masks, --mask-kind)', async () => {
    // "1:1" is the first transformer layer's first head: the graph's layer index 0, head index 0.
    assert.deepEqual(parseHeadMasks('1:1,2;2:1'), [
      { layer: 0, heads: [0, 1] },
      { layer: 1, heads: [0] },
    ]);
    assert.throws(() => parseHeadMasks('0:1'), /layer 0 is the embedding output, which has no heads/);
    assert.throws(() => parseHeadMasks('1:0'), /heads are numbered 1\.\.H/);
    assert.throws(() => parseHeadMasks('1-2'), /expected LAYER:HEAD/);
    assert.deepEqual(parseMaskFile({ headMasks: [{ layer: 2, heads: [2] }] }, 'm.json').headMasks, [
      { layer: 1, heads: [1] },
    ]);
    assert.deepEqual(
      parseMaskFile([{ kind: 'token', layers: [1, 2], from: 'all', to: 'all' }], 'm.json').masks,
      [{ kind: 'token', layers: [0, 1], from: 'all', to: 'all' }],
    );
    assert.throws(
      () => parseMaskFile([{ kind: 'token', layers: [0], from: 'all', to: 'all' }], 'm.json'),
      /m\.json: masks\[0\]\.layers: layer 0 is the embedding output/,
    );
    assert.throws(
      () => parseMaskFile({ headMasks: [{ layer: 1 }] }, 'm.json'),
      /m\.json: headMasks\[0\] must be/,
    );

    const pair = encodePair(loadTokenizer(modelDir), query, passage, { maxLength: 64 });
    const first = await scoreCli('--head-mask', '1:1');
    const [firstHead] = await ranker.score([pair], { headMasks: [{ layer: 0, heads: [0] }] });
    const [otherHead] = await ranker.score([pair], { headMasks: [{ layer: 1, heads: [1] }] });
    assert.equal(first.score, firstHead.score);
    // Precondition: the two heads' masks score differently, so reading "1:1" 0-based would fail above.
    assert.notEqual(firstHead.score, otherHead.score);
    assert.deepEqual(first.head_masks, [{ layer: 1, heads: [1] }]);

    // --mask-kind's --layers counts like --mask's @LAYERS.
    const byKind = await scoreCli(
      ...['--mask-kind', 'token', '--layers', '2', '--from', 'all', '--to', 'period'],
    );
    const byFlag = await scoreCli('--mask', 'token:period->all@2');
    assert.equal(byKind.score, byFlag.score);
    assert.deepEqual(byKind.masks, [{ kind: 'token', layers: [2], from: 'all', to: ['period'] }]);

    // What score --json prints reads back through --masks ("masks", "head_masks") to the same score.
    const both = await scoreCli('--mask', 'token:period->all@2', '--head-mask', '1:1');
    const file = path.join(root, 'printed-masks.json');
    fs.writeFileSync(file, JSON.stringify(both));
    const reread = await scoreCli('--masks', file);
    assert.equal(reread.score, both.score);
    assert.deepEqual([reread.masks, reread.head_masks], [both.masks, both.head_masks]);
  });

  it('--replace-periods-with-commas changes only the passage periods, then scores', async () => {
    const tokenizer = loadTokenizer(modelDir);
    const pair = encodePair(tokenizer, query, passage, { maxLength: 64 });
    const plain = await scoreCli();
    const commas = await scoreCli('--replace-periods-with-commas');
    const commaId = tokenizer.vocab.id(',') as number;
    const changed = plain.input_ids.flatMap((id, i) => (id !== commas.input_ids[i] ? [i] : []));
    assert.deepEqual(
      changed,
      pair.tokens.flatMap((t, i) => (t.kind === 'period' ? [i] : [])),
    );
    assert.equal(changed.length, 3); // "1.2" is a number, not a period
    const [want] = await ranker.score([periodsToCommas(pair, commaId)]);
    assert.equal(commas.score, want.score);
  });
});
