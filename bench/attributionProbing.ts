// Pairs per second of the attribution (Figure 2) and probing (Figure 3) analyses on the bundled model and real
// dev600 candidate lists, against a score-only forward of the same pairs; and the probe training time.
// Usage: node --import tsx bench/attributionProbing.ts [queries]
import * as path from 'node:path';
import { InProcessAnalysisModel } from '../src/core/analysis/inProcessModel';
import {
  attributionMap,
  DEFAULT_ATTRIBUTION_SETTINGS,
} from '../src/core/analysis/attribution/layerAttribution';
import {
  extractProbingFeatures,
  mergeProbingFeatures,
  trainAndEvaluateProbes,
} from '../src/core/analysis/probing';
import { ZHAN_STOP_WORDS } from '../src/core/analysis/stopWords';
import { loadPairEncoder } from '../src/core/runtime/text';
import { dev600Queries } from '../test/support/dev600';

const seconds = (since: number) => (performance.now() - since) / 1000;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 6);
  const dir = path.join(__dirname, '..', 'models', 'ranklens-mini');
  const model = await InProcessAnalysisModel.load(dir);
  const encode = loadPairEncoder(dir);
  const train = await dev600Queries(encode, { offset: 0, count });
  const heldOut = await dev600Queries(encode, { offset: 300, count });
  const pairs = [...train, ...heldOut].flatMap((q) => q.candidates.map((c) => c.pair));
  const { numLayers: L, hiddenSize: h } = model.info;
  console.log(
    `ranklens-mini (${L} layers, hidden ${h}); ${pairs.length} real dev600 pairs (BM25 top 20 of ${2 * count} queries)`,
  );

  await model.score(pairs.slice(0, 16)); // warm-up
  let t = performance.now();
  await model.score(pairs);
  const forward = seconds(t) / pairs.length;
  console.log(
    `score-only forward: ${(1 / forward).toFixed(1)} pairs/s (${(1000 * forward).toFixed(1)} ms/pair, batches of 16)`,
  );

  t = performance.now();
  const attributed = await attributionMap(heldOut, model, {
    ...DEFAULT_ATTRIBUTION_SETTINGS,
    selection: { kind: 'rank', topK: 20 },
  });
  const perAttributed = seconds(t) / Math.max(1, attributed.pairs.length);
  console.log(
    `attribution: ${attributed.pairs.length} pairs (IG at ${L + 1} layers x 2 baselines, after scoring ${heldOut.length * 20} candidates): ` +
      `${(1 / perAttributed).toFixed(3)} pairs/s, ${perAttributed.toFixed(2)} s/pair = ${(perAttributed / forward).toFixed(0)}x a forward`,
  );

  const stop = new Set(ZHAN_STOP_WORDS);
  for (const pooling of ['states', 'logits'] as const) {
    t = performance.now();
    const features = mergeProbingFeatures([
      await extractProbingFeatures(train, 'train', model, stop, pooling),
      await extractProbingFeatures(heldOut, 'eval', model, stop, pooling),
    ]);
    const extract = seconds(t) / features.pairs.length;
    const bytes = features.data.flat().reduce((n, d) => n + d.values.byteLength, 0);
    t = performance.now();
    const result = trainAndEvaluateProbes(features, { learningRate: 1e-3 });
    const training = seconds(t);
    const probes = result.groups.length * (L + 1);
    console.log(
      `probing (${pooling}): features ${(1 / extract).toFixed(1)} pairs/s (${(extract / forward).toFixed(1)}x a forward), ` +
        `${(bytes / features.pairs.length / 1024).toFixed(1)} KiB/pair; ${probes} probes x 5 epochs on ${result.trainPairs} pairs in ` +
        `${training.toFixed(1)} s (${(training / probes).toFixed(2)} s/probe); whole analysis ${(features.pairs.length / (extract * features.pairs.length + training)).toFixed(1)} pairs/s`,
    );
  }
  await model.dispose();
}

void main();
