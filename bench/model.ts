// Benchmark of the BERT graph variants on a BERT-base-shaped random checkpoint (weights are random, so
// only speed and memory mean anything). Run: node --import tsx bench/model.ts
// Env: BENCH_ITERS (timed runs per variant, default 2), BENCH_BATCH (16), BENCH_SEQ (256), BENCH_THREADS (2),
// BENCH_MODEL (an existing checkpoint folder, e.g. models/ranklens-mini, instead of the generated BERT-base).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { tempDir, writeRandomCheckpoint, BERT_BASE_SHAPE } from '../test/support/checkpoints';
import { ensureBertGraphFile } from '../src/core/bert/cache';
import { BERT_IO, type GraphVariant } from '../src/core/bert/graph';
import { openBertCheckpoint } from '../src/core/model/checkpoint';
import { createSession, Ranker } from '../src/core/runtime/ranker';

const iterations = Number(process.env.BENCH_ITERS ?? 2);
const batch = Number(process.env.BENCH_BATCH ?? 16);
const seq = Number(process.env.BENCH_SEQ ?? 256);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

function generate(dir: string): void {
  writeRandomCheckpoint(dir, BERT_BASE_SHAPE);
}

async function main() {
  const root = tempDir('bench');
  try {
    let t = performance.now();
    const given = process.env.BENCH_MODEL;
    const modelDir = given ? path.resolve(given) : path.join(root, 'model');
    if (!given) {
      // Generated in a child process so its memory does not count in this process's peak RSS.
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--generate', modelDir], {
        stdio: 'inherit',
      });
      if (child.status !== 0) throw new Error(`checkpoint generation failed (${child.status})`);
    }
    const checkpointBytes = fs.statSync(path.join(modelDir, 'model.safetensors')).size;
    console.log(
      `checkpoint: ${given ?? 'BERT-base shape'}, ${mb(checkpointBytes)}${given ? '' : `, written in ${((performance.now() - t) / 1000).toFixed(1)} s`}`,
    );
    const checkpoint = openBertCheckpoint(modelDir);
    const cacheDir = path.join(root, 'cache');
    for (const variant of ['plain', 'score', 'inspect'] as GraphVariant[]) {
      t = performance.now();
      const file = ensureBertGraphFile(checkpoint, variant, cacheDir);
      console.log(
        `graph ${variant.padEnd(7)}: built in ${((performance.now() - t) / 1000).toFixed(1)} s, ${mb(fs.statSync(file).size)}, peak RSS so far ${mb(peakRss())}`,
      );
    }

    const ids = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    for (let i = 0; i < ids.length; i++) {
      const pos = i % seq;
      ids[i] = BigInt(pos === 0 ? 101 : pos === seq - 1 || pos === 20 ? 102 : 1000 + ((i * 7919) % 29000));
      types[i] = pos > 20 ? 1n : 0n;
    }
    const L = checkpoint.config.numLayers;
    const H = checkpoint.config.numHeads;
    const base: Record<string, ort.Tensor> = {
      [BERT_IO.inputIds]: new ort.Tensor('int64', ids, [batch, seq]),
      [BERT_IO.tokenTypeIds]: new ort.Tensor('int64', types, [batch, seq]),
      [BERT_IO.attentionMask]: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
    };
    const masks: Record<string, ort.Tensor> = {
      [BERT_IO.maskGroups]: new ort.Tensor('float32', new Float32Array(batch * seq).fill(1), [batch, seq, 1]),
      [BERT_IO.tokenMask]: new ort.Tensor('float32', new Float32Array(L), [L, 1, 1]),
      [BERT_IO.attentionMaskTable]: new ort.Tensor('float32', new Float32Array(L), [L, 1, 1]),
      [BERT_IO.headMask]: new ort.Tensor('float32', new Float32Array(L * H), [L, H]),
    };

    const cases: { label: string; variant: GraphVariant; fetch?: string[] }[] = [
      { label: 'plain graph (baseline), logits', variant: 'plain', fetch: [BERT_IO.logits] },
      { label: 'score graph (masks in), score only', variant: 'score', fetch: [BERT_IO.score] },
      { label: 'inspect graph, score only fetched', variant: 'inspect', fetch: [BERT_IO.score] },
      { label: 'inspect graph, all outputs fetched', variant: 'inspect' },
    ];
    const results: { label: string; seconds: number }[] = [];
    const sessions = new Map<GraphVariant, ort.InferenceSession>();
    for (const c of cases) {
      let session = sessions.get(c.variant);
      if (!session) {
        for (const [v, s] of sessions) {
          await s.release();
          sessions.delete(v);
        }
        t = performance.now();
        session = await createSession(checkpoint, c.variant, { threads, cacheDir });
        sessions.set(c.variant, session);
        console.log(
          `session ${c.variant}: created in ${((performance.now() - t) / 1000).toFixed(1)} s, RSS ${mb(process.memoryUsage().rss)}`,
        );
      }
      const feeds = c.variant === 'plain' ? base : { ...base, ...masks };
      const run = () => (c.fetch ? session!.run(feeds, c.fetch) : session!.run(feeds));
      await run(); // warm-up
      t = performance.now();
      for (let i = 0; i < iterations; i++) await run();
      const seconds = (performance.now() - t) / 1000 / iterations;
      results.push({ label: c.label, seconds });
      console.log(
        `${c.label.padEnd(36)} ${seconds.toFixed(2)} s/batch  ${(batch / seconds).toFixed(2)} pairs/s  RSS ${mb(process.memoryUsage().rss)}, peak ${mb(peakRss())}`,
      );
    }
    for (const s of sessions.values()) await s.release();

    // End to end through the Ranker API (batching, mask compilation, result decoding included).
    const ranker = await Ranker.load(modelDir, { threads, cacheDir, batchSize: batch });
    const pairs = Array.from({ length: batch }, (_, b) => ({
      inputIds: Array.from(ids.subarray(b * seq, (b + 1) * seq), Number),
      tokenTypeIds: Array.from(types.subarray(b * seq, (b + 1) * seq), Number),
    }));
    await ranker.score(pairs);
    t = performance.now();
    for (let i = 0; i < iterations; i++) await ranker.score(pairs);
    const rankerSeconds = (performance.now() - t) / 1000 / iterations;
    results.push({ label: 'Ranker.score (same batch)', seconds: rankerSeconds });
    console.log(
      `${'Ranker.score (same batch)'.padEnd(36)} ${rankerSeconds.toFixed(2)} s/batch  ${(batch / rankerSeconds).toFixed(2)} pairs/s  RSS ${mb(process.memoryUsage().rss)}`,
    );
    await ranker.dispose();
    const scoreOnly = results[1].seconds;
    console.log(
      `\nbatch ${batch} x seq ${seq}, ${threads} threads, ${iterations} timed runs each (after 1 warm-up)`,
    );
    for (const r of results)
      console.log(`${r.label.padEnd(36)} ${(r.seconds / scoreOnly).toFixed(3)} x score-only`);
    console.log(`peak RSS ${mb(peakRss())}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--generate') {
  generate(process.argv[3]);
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
