// Why IG was slower in the extension than in the CLI: the same attribution (bundled model, 256 WordPieces,
// all layers, both baselines) in-process as the CLI runs it, and through RankerWorkerClient as the extension
// runs it (the built out/ranker-worker.js, a Ranker loaded beside the gradient model), cold and warm, with
// onnxruntime's spinning thread pool and without. Run it while the machine is busy (an editor, a browser)
// to see what the extension sees. Run `npm run build` first.
// Also through a client without warm spares, since a spare loading beside a long call shares the cores.
// Run: node --import tsx bench/attribution-worker.ts   Env: BENCH_SEQ (256), BENCH_REPEAT (2),
// BENCH_PAIR (dev | dl19: the extension test's DL19 pair)
import * as path from 'node:path';
import { attribute } from '../src/core/attribution';
import { BertGradientModel } from '../src/core/bert/gradientModel';
import { RankerWorkerClient } from '../src/worker/client';
import { loadTokenizer } from '../src/core/text';
import { REPO_ROOT } from '../test/support/paths';
import { benchPair, dl19Pair } from './benchPair';

const seq = Number(process.env.BENCH_SEQ ?? 256);
const repeat = Number(process.env.BENCH_REPEAT ?? 2);
const modelDir = path.join(REPO_ROOT, 'models', 'ranklens-mini');
const workerPath = path.join(REPO_ROOT, 'out', 'ranker-worker.js');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const result = await work();
  return [performance.now() - t, result];
}

async function main() {
  const pair = process.env.BENCH_PAIR === 'dl19' ? dl19Pair(modelDir, seq) : benchPair(modelDir, seq);
  const padId = loadTokenizer(modelDir).padId ?? 0;
  console.log(`ranklens-mini, ${pair.tokens.length} WordPieces, all layers, both baselines`);
  const configurations = [
    { label: "onnxruntime's defaults (threads, spinning), as the extension ran before", options: {} },
    {
      label: 'idle threads sleep (spinning: false), as the extension runs now',
      options: { spinning: false },
    },
  ];
  for (const { label, options } of configurations) {
    const [loadMs, model] = await timed(() => BertGradientModel.load(modelDir, options));
    const runs: number[] = [];
    for (let i = 0; i < repeat; i++)
      runs.push((await timed(() => attribute(model, [pair], undefined, { padId })))[0]);
    await model.dispose();
    console.log(
      `${label}\n  in-process (as the CLI): load ${seconds(loadMs)}, runs ${runs.map(seconds).join(', ')}`,
    );
    for (const spares of [true, false]) {
      const client = await RankerWorkerClient.load(modelDir, options, {
        workerPath,
        ...(spares ? {} : { spareIdleMs: 0 }),
      });
      const worker: number[] = [];
      for (let i = 0; i <= repeat; i++) worker.push((await timed(() => client.attribute(pair)))[0]);
      await client.dispose();
      console.log(
        `  worker (as the extension${spares ? '' : ', without warm spares'}): first call (loads the gradient model) ${seconds(worker[0])}, then ${worker.slice(1).map(seconds).join(', ')}`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
