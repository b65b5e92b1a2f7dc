// Worker thread entry for RankerWorkerClient: one Ranker per worker, driven by WorkerRequest messages.
// Bundle this file as its own esbuild entry (e.g. out/ranker-worker.js, next to the code using the client).
import { parentPort } from 'node:worker_threads';
import { InProcessAnalysisModel } from '../analysis/inProcessModel';
import { attribute } from '../analysis/integratedGradients';
import { runAnalysisRequest } from '../analysis/runRequest';
import { BertGradientModel } from '../bert/attribution';
import { loadTokenizer } from '../text';
import { Ranker } from './ranker';
import type { RankerOptions } from './types';
import type { PackedAttribution, WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread (use RankerWorkerClient)');

let ranker: Ranker | undefined;
let loadedFrom: { readonly dir: string; readonly options: RankerOptions } | undefined;
/** The gradient model for attributions, loaded on first use (it costs as much memory as the ranker). */
let gradients: { model: Promise<BertGradientModel>; padId: number; batchSize?: number } | undefined;
const cancellers = new Map<number, AbortController>();

function reply(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  try {
    port!.postMessage(message, transfer);
  } catch {
    // Buffers onnxruntime owns may refuse to be transferred; then they are copied.
    port!.postMessage(message);
  }
}

async function disposeGradients(): Promise<void> {
  const old = gradients;
  gradients = undefined;
  await old?.model.then((m) => m.dispose()).catch(() => undefined);
}

async function gradientModel(batchSize?: number): Promise<{ model: BertGradientModel; padId: number }> {
  if (!loadedFrom) throw new Error('no model loaded in the ranker worker');
  if (gradients && gradients.batchSize !== batchSize) await disposeGradients();
  if (!gradients) {
    const { dir, options } = loadedFrom;
    const padId = loadTokenizer(dir).padId;
    if (padId === undefined)
      throw new Error(`${dir}: the vocabulary has no [PAD] token (IG baselines need it)`);
    const model = BertGradientModel.load(dir, {
      threads: options.threads,
      spinning: options.spinning,
      batchSize,
    });
    gradients = { model, padId, batchSize };
    model.catch(() => {
      if (gradients?.model === model) gradients = undefined;
    });
  }
  return { model: await gradients.model, padId: gradients.padId };
}

function loaded(): Ranker {
  if (!ranker) throw new Error('no model loaded in the ranker worker');
  return ranker;
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'load': {
      await ranker?.dispose();
      await disposeGradients();
      ranker = undefined;
      loadedFrom = undefined;
      ranker = await Ranker.load(request.dir, request.options);
      loadedFrom = { dir: request.dir, options: request.options };
      reply({ id: request.id, type: 'result', result: ranker.info });
      return;
    }
    case 'score': {
      const controller = new AbortController();
      cancellers.set(request.id, controller);
      try {
        const result = await loaded().score(request.pairs, {
          ...request.options,
          signal: controller.signal,
          onProgress: (done, total) => reply({ id: request.id, type: 'progress', done, total }),
        });
        reply({ id: request.id, type: 'result', result });
      } finally {
        cancellers.delete(request.id);
      }
      return;
    }
    case 'mask-depths': {
      const controller = new AbortController();
      cancellers.set(request.id, controller);
      try {
        const result = await loaded().scoreByMaskDepth(request.pairs, request.masks, {
          ...request.options,
          signal: controller.signal,
          onProgress: (done, total) => reply({ id: request.id, type: 'progress', done, total }),
        });
        reply({ id: request.id, type: 'result', result });
      } finally {
        cancellers.delete(request.id);
      }
      return;
    }
    case 'attention-sums': {
      const controller = new AbortController();
      cancellers.set(request.id, controller);
      try {
        const result = await loaded().attentionSums(request.pairs, {
          ...request.options,
          signal: controller.signal,
          onProgress: (done, total) => reply({ id: request.id, type: 'progress', done, total }),
        });
        reply(
          { id: request.id, type: 'result', result },
          result.map((r) => r.sums.buffer as ArrayBuffer),
        );
      } finally {
        cancellers.delete(request.id);
      }
      return;
    }
    case 'run-analysis': {
      const controller = new AbortController();
      cancellers.set(request.id, controller);
      try {
        const model = InProcessAnalysisModel.wrap(loaded(), () => gradientModel());
        const result = await runAnalysisRequest(request.request, model, {
          signal: controller.signal,
          onProgress: (r) => reply({ id: request.id, type: 'progress', done: r.done, total: r.total ?? 0 }),
        });
        reply({ id: request.id, type: 'result', result });
      } finally {
        cancellers.delete(request.id);
      }
      return;
    }
    case 'inspect': {
      const result = await loaded().inspect(request.pair, request.options);
      reply({ id: request.id, type: 'result', result }, [
        result.attentions.buffer as ArrayBuffer,
        result.hiddenStates.buffer as ArrayBuffer,
      ]);
      return;
    }
    case 'attribute': {
      const controller = new AbortController();
      cancellers.set(request.id, controller);
      try {
        const { batchSize, ...options } = request.options;
        const { model, padId } = await gradientModel(batchSize);
        const { pair } = request;
        const result = await attribute(
          model,
          { ...pair, queryTruncated: false, passageTruncated: false, passageTokenCount: 0 },
          {
            ...options,
            padId,
            signal: controller.signal,
            onProgress: (done, total) => reply({ id: request.id, type: 'progress', done, total }),
          },
        );
        const width = result.tokens.length;
        const attributions = new Float64Array(result.layers.length * width);
        result.layers.forEach((entry, i) => attributions.set(entry.attributions, i * width));
        const packed: PackedAttribution = {
          kind: 'attribution',
          result: { ...result, layers: result.layers.map(({ attributions: _, ...rest }) => rest) },
          attributions,
        };
        reply({ id: request.id, type: 'result', result: packed }, [attributions.buffer]);
      } finally {
        cancellers.delete(request.id);
      }
      return;
    }
    case 'cancel':
      cancellers.get(request.target)?.abort(new Error('cancelled'));
      return;
    case 'dispose':
      await ranker?.dispose();
      await disposeGradients();
      ranker = undefined;
      loadedFrom = undefined;
      reply({ id: request.id, type: 'result', result: null });
      return;
    case 'retire':
      for (const controller of cancellers.values()) controller.abort(new Error('cancelled'));
      await ranker?.dispose();
      await disposeGradients();
      ranker = undefined;
      // Ends this worker thread only; nothing of onnxruntime is running on it at this point.
      process.exit(0);
      return;
    case 'crash':
      process.exit(70);
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).catch((e: unknown) => {
    const error = e instanceof Error ? e : new Error(String(e));
    reply({ id: request.id, type: 'error', error: { name: error.name, message: error.message } });
  });
});
