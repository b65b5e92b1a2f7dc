// The inspector's what-if attention maps: kept within a byte budget, least recently used out, recomputed
// (by the real model) when asked for again.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MaskSpec } from '../../../src/core/runtime/types';
import { Ranker } from '../../../src/core/runtime/ranker';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import type { EncodedPair } from '../../../src/core/text/types';
import type { AttentionTensor } from '../../../src/protocol/attention';
import { WhatIfMaps } from '../../../src/extension/inspector/whatIfMaps';
import { tempDir } from '../../support/checkpoints';
import { REPO_ROOT } from '../../support/paths';

const MODEL = path.join(REPO_ROOT, 'models', 'ranklens-mini');
let dir: string;
let ranker: Ranker;
let pair: EncodedPair;

before(async () => {
  dir = tempDir('what-if-maps');
  ranker = await Ranker.load(MODEL, { threads: 1, cacheDir: path.join(dir, 'graphs') });
  pair = encodePair(
    loadTokenizer(MODEL),
    'what was the manhattan project',
    'The Manhattan Project was a research effort. It produced the first nuclear weapons.',
    { maxLength: 128 },
  );
});
after(async () => {
  await ranker.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What-if k: a token mask from all tokens to the periods in the first k layers. */
const spec = (k: number): MaskSpec[] => [
  { kind: 'token', layers: Array.from({ length: k }, (_, l) => l), from: 'all', to: ['period'] },
];

async function mapOf(k: number): Promise<AttentionTensor> {
  const r = await ranker.inspect(pair, { masks: spec(k) });
  return { numLayers: r.numLayers, numHeads: r.numHeads, seqLength: r.seqLength, data: r.attentions.slice() };
}

describe('what-if attention maps', () => {
  it('keep the most recent maps within the budget and recompute a dropped one exactly', async () => {
    const asked: number[] = [];
    const first = await mapOf(1);
    const bytes = first.data.byteLength;
    // Room for two maps: the third what-if pushes out the least recently used.
    const maps = new WhatIfMaps(
      (id) => {
        asked.push(id);
        return mapOf(id);
      },
      2 * bytes + bytes / 2,
    );
    maps.put(1, first);
    maps.put(2, await mapOf(2));
    assert.equal(maps.bytes, 2 * bytes);
    await maps.get(1); // 1 is now more recent than 2
    maps.put(3, await mapOf(3));
    assert.deepEqual([maps.has(1), maps.has(2), maps.has(3)], [true, false, true]);
    assert.equal(maps.bytes, 2 * bytes);
    assert.deepEqual(asked, [], 'nothing recomputed while kept');
    // Choosing what-if 2 again: recomputed by the model, identical to the map it had first.
    const again = await maps.get(2);
    assert.deepEqual(asked, [2]);
    assert.deepEqual(again.data, (await mapOf(2)).data);
    assert.notDeepEqual(again.data, first.data, 'different what-ifs have different maps');
    assert.equal(maps.recomputed, 1);
    assert.ok(maps.bytes <= maps.budgetBytes);
    assert.equal(maps.has(1), false, 'the least recently used (1) made room');
  });

  it('keep the map asked for even alone over the budget, share one recompute, and drop undone ones', async () => {
    let computing = 0;
    const maps = new WhatIfMaps((id) => {
      computing++;
      return mapOf(id);
    }, 1);
    maps.put(1, await mapOf(1));
    assert.equal(maps.size, 1, 'the newest map is kept even over the budget');
    maps.put(2, await mapOf(2));
    assert.deepEqual([maps.has(1), maps.has(2)], [false, true]);
    const [a, b] = await Promise.all([maps.get(1), maps.get(1)]);
    assert.equal(a, b);
    assert.equal(computing, 1, 'two asks while computing: one forward pass');
    // Undone while its map is being recomputed: not kept afterwards.
    const late = maps.get(2);
    maps.forget(2);
    maps.forget(1);
    await late;
    assert.equal(maps.size, 0);
    assert.equal(maps.bytes, 0);
  });
});
