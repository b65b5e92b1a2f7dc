// Memory of the pair inspector's what-if attention maps at BERT-base attention size (12 layers x 12 heads,
// a real 256-WordPiece MS MARCO pair), for 5 what-ifs:
// - before (every map kept by the host, and the whole table with all its maps posted to the view after
//   each what-if, the view keeping them all);
// - after (src/extension/inspector/whatIfMaps.ts: the host keeps maps within WHAT_IF_MAP_BUDGET, the table
//   carries no maps, the view fetches and keeps the chosen what-if's map only).
// Host bytes are measured (ArrayBuffer memory after a full GC); posted and view bytes are counted from the
// messages each design sends. Also: the time to recompute a dropped map when its row is chosen again.
// Run: npm run bench what-if-maps
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MaskSpec } from '../src/core/runtime/types';
import { Ranker } from '../src/core/runtime/ranker';
import type { AttentionTensor } from '../src/protocol/attention';
import { WHAT_IF_MAP_BUDGET, WhatIfMaps } from '../src/extension/inspector/whatIfMaps';
import { BERT_BASE_SHAPE, tempDir, writeRandomCheckpoint } from '../test/support/checkpoints';
import { BERT_VOCAB } from '../test/support/paths';
import { benchPair } from './benchPair';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const WHAT_IFS = 5;

function arrayBuffers(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

async function main(): Promise<void> {
  const dir = tempDir('bench-what-if-maps');
  // BERT-base's attention shape with a narrow hidden size: the maps' size depends only on L, H and n.
  writeRandomCheckpoint(path.join(dir, 'model'), { ...BERT_BASE_SHAPE, hidden: 96, intermediate: 384 });
  fs.copyFileSync(BERT_VOCAB(), path.join(dir, 'model', 'vocab.txt'));
  const ranker = await Ranker.load(path.join(dir, 'model'), {
    threads: 2,
    cacheDir: path.join(dir, 'graphs'),
  });
  try {
    const pair = benchPair(path.join(dir, 'model'), 256);
    const L = ranker.info.numLayers;
    const specs: MaskSpec[][] = Array.from({ length: WHAT_IFS }, (_, k) => [
      {
        kind: k % 2 ? 'attention' : 'token',
        layers: Array.from({ length: 2 + 2 * k }, (_, l) => l % L),
        from: 'all',
        to: ['period'],
      },
    ]);
    const whatIf = async (k: number): Promise<AttentionTensor> => {
      const r = await ranker.inspect(pair, { masks: specs[k] });
      const data = r.attentions.byteOffset === 0 ? r.attentions : r.attentions.slice();
      return { numLayers: r.numLayers, numHeads: r.numHeads, seqLength: r.seqLength, data };
    };
    const mapBytes = (await whatIf(0)).data.byteLength;
    console.log(
      `pair: ${pair.inputIds.length} WordPieces, ${L} layers x ${ranker.info.numHeads} heads: one attention map ${mb(mapBytes)}`,
    );

    const base = arrayBuffers();
    const kept: AttentionTensor[] = [];
    let postedBefore = 0;
    for (let k = 0; k < WHAT_IFS; k++) {
      kept.push(await whatIf(k));
      postedBefore += kept.length * mapBytes; // the whole table, every map in it, after each what-if
    }
    const hostBefore = arrayBuffers() - base;
    const heldBefore = kept.reduce((n, m) => n + m.data.byteLength, 0);
    kept.length = 0;

    const base2 = arrayBuffers();
    const maps = new WhatIfMaps((id) => whatIf(id));
    let postedAfter = 0;
    for (let k = 0; k < WHAT_IFS; k++) {
      maps.put(k, await whatIf(k));
      await maps.get(k); // the view asks for the new row's map
      postedAfter += mapBytes;
    }
    const hostAfter = arrayBuffers() - base2;
    console.log(
      `before: host holds ${mb(heldBefore)} (${WHAT_IFS} maps; ArrayBuffer memory grew ${mb(hostBefore)}), view ${mb(WHAT_IFS * mapBytes)} (${WHAT_IFS} maps), posted ${mb(postedBefore)} over the ${WHAT_IFS} what-ifs`,
    );
    console.log(
      `after:  host holds ${mb(maps.bytes)} (${maps.size} maps within the ${mb(WHAT_IF_MAP_BUDGET)} budget; ArrayBuffer memory grew ${mb(hostAfter)}), view ${mb(mapBytes)} (the chosen map), posted ${mb(postedAfter)}`,
    );
    const started = performance.now();
    await maps.get(0); // what-if 1's row chosen again: dropped, so recomputed
    console.log(
      `choosing a dropped what-if again: recomputed in ${(performance.now() - started).toFixed(0)} ms (one forward pass), ${maps.recomputed} recomputed`,
    );
  } finally {
    await ranker.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
