// Worker thread entry for RankerWorkerClient: one Ranker per worker, driven by WorkerRequest messages.
// Bundle this file as its own esbuild entry (e.g. out/ranker-worker.js, next to the code using the client).
import { parentPort } from 'node:worker_threads';
import { InProcessAnalysisModel } from '../analysis/inProcessModel';
import { attribute, BASELINES } from '../attribution';
import { runAnalysisRequest } from '../analysis/runRequest';
import { BertGradientModel } from '../bert/gradientModel';
import { loadTokenizer } from '../text';
import { Ranker } from './ranker';
import type { RankerOptions } from './types';
import type { PackedAttribution, WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread (use RankerWorkerClient)');

let ranker: Ranker | undefined;
let loadedFrom: { readonly dir: string; readonly options: RankerOptions } | undefined;
/**
 * The gradient model for attributions, loaded on first use (it costs as much memory as the ranker). `stop`
 * aborts the load of the request that started it (undefined for a warm-up, which nothing cancels).
 */
let gradients:
  { model: Promise<BertGradientModel>; padId: number; batchSize?: number; stop?: AbortSignal } | undefined;
/** Requests that a 'cancel' can stop, and the promises of their runs (an unload waits for them). */
const cancellers = new Map<number, AbortController>();
const running = new Set<Promise<unknown>>();

/** A stopped request's outcome: it was answered 'cancelled' already, so nothing more is posted for it. */
const STOPPED = Symbol('stopped');

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

/**
 * The gradient model, loading it if needed. A load started here stops when `signal` aborts (a cancelled
 * attribution leaves nothing behind); a request that was waiting on another request's stopped load starts
 * its own.
 */
async function gradientModel(
  batchSize?: number,
  signal?: AbortSignal,
): Promise<{ model: BertGradientModel; padId: number }> {
  for (;;) {
    if (!loadedFrom) throw new Error('no model loaded in the ranker worker');
    const { dir, options } = loadedFrom;
    if (gradients && gradients.batchSize !== batchSize) {
      // Another request (a stopped attribution finishing its batch) may still be running on the old model.
      const others = [...running];
      await Promise.allSettled(others);
      if (gradients && gradients.batchSize !== batchSize) await disposeGradients();
    }
    if (!gradients) {
      const padId = loadTokenizer(dir).padId;
      if (padId === undefined)
        throw new Error(`${dir}: the vocabulary has no [PAD] token (IG baselines need it)`);
      const model = BertGradientModel.load(dir, {
        threads: options.threads,
        spinning: options.spinning,
        batchSize,
        signal,
      });
      gradients = { model, padId, batchSize, stop: signal };
      model.catch(() => {
        if (gradients?.model === model) gradients = undefined;
      });
    }
    const current = gradients;
    try {
      return { model: await current.model, padId: current.padId };
    } catch (error) {
      const stoppedByAnother = current.stop?.aborted && current.stop !== signal && !signal?.aborted;
      if (!stoppedByAnother) throw error;
    }
  }
}

/**
 * Runs one request that a 'cancel' (or an unload) can stop; progress goes back by its id. A stopped request
 * was answered 'cancelled' already: its late result or error is dropped (STOPPED).
 */
async function cancellable<T>(
  id: number,
  run: (signal: AbortSignal, onProgress: (done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  cancellers.set(id, controller);
  const progress = (done: number, total: number) => {
    if (!controller.signal.aborted) reply({ id, type: 'progress', done, total });
  };
  // Called through an async function, so that a synchronous throw (no model loaded) is a rejection too.
  const outcome = (async () => run(controller.signal, progress))();
  running.add(outcome);
  let result: T;
  try {
    result = await outcome;
  } catch (error) {
    throw controller.signal.aborted ? STOPPED : error;
  } finally {
    running.delete(outcome);
    cancellers.delete(id);
  }
  if (controller.signal.aborted) throw STOPPED;
  return result;
}

/**
 * Answers request `id` 'cancelled' now and aborts its signal. This is read between two onnxruntime runs,
 * so the worker is free for the next request at once; the stopped call ends at its next batch (its
 * remaining runs, at most a batch's, interleave with the next request's).
 */
function stop(id: number): void {
  const controller = cancellers.get(id);
  if (!controller) return;
  cancellers.delete(id);
  controller.abort(new Error('cancelled'));
  reply({ id, type: 'cancelled' });
}

/** Stops every request, waits until none is inside onnxruntime any more, and releases the models. */
async function unload(): Promise<void> {
  for (const id of [...cancellers.keys()]) stop(id);
  await Promise.allSettled([...running]);
  await ranker?.dispose();
  await disposeGradients();
  ranker = undefined;
  loadedFrom = undefined;
}

function loaded(): Ranker {
  if (!ranker) throw new Error('no model loaded in the ranker worker');
  return ranker;
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'load': {
      await unload();
      ranker = await Ranker.load(request.dir, request.options);
      loadedFrom = { dir: request.dir, options: request.options };
      reply({ id: request.id, type: 'result', result: ranker.info });
      return;
    }
    case 'score': {
      const result = await cancellable(request.id, (signal, onProgress) =>
        loaded().score(request.pairs, { ...request.options, signal, onProgress }),
      );
      reply({ id: request.id, type: 'result', result });
      return;
    }
    case 'mask-depths': {
      const result = await cancellable(request.id, (signal, onProgress) =>
        loaded().scoreByMaskDepth(request.pairs, request.masks, { ...request.options, signal, onProgress }),
      );
      reply({ id: request.id, type: 'result', result });
      return;
    }
    case 'attention-sums': {
      const result = await cancellable(request.id, (signal, onProgress) =>
        loaded().attentionSums(request.pairs, { ...request.options, signal, onProgress }),
      );
      reply(
        { id: request.id, type: 'result', result },
        result.map((r) => r.sums.buffer as ArrayBuffer),
      );
      return;
    }
    case 'run-analysis': {
      const result = await cancellable(request.id, (signal, onProgress) =>
        runAnalysisRequest(
          request.request,
          InProcessAnalysisModel.wrap(loaded(), () => gradientModel(undefined, signal)),
          { signal, onProgress: (r) => onProgress(r.done, r.total ?? 0) },
        ),
      );
      reply({ id: request.id, type: 'result', result });
      return;
    }
    case 'inspect': {
      const result = await cancellable(request.id, (signal) =>
        loaded().inspect(request.pair, { ...request.options, signal }),
      );
      reply({ id: request.id, type: 'result', result }, [
        result.attentions.buffer as ArrayBuffer,
        result.hiddenStates.buffer as ArrayBuffer,
      ]);
      return;
    }
    case 'attribute': {
      const { baselines = BASELINES, ...options } = request.options;
      const { pair } = request;
      const [result] = await cancellable(request.id, async (signal, onProgress) => {
        const { model, padId } = await gradientModel(options.batchSize, signal);
        return attribute(
          model,
          [{ ...pair, queryTruncated: false, passageTruncated: false, passageTokenCount: 0 }],
          baselines,
          { ...options, padId, signal, onProgress },
        );
      });
      const width = result.tokens.length;
      const attributions = new Float64Array(result.layers.length * width);
      result.layers.forEach((entry, i) => attributions.set(entry.attributions, i * width));
      const packed: PackedAttribution = {
        kind: 'attribution',
        result: { ...result, layers: result.layers.map(({ attributions: _, ...rest }) => rest) },
        attributions,
      };
      reply({ id: request.id, type: 'result', result: packed }, [attributions.buffer]);
      return;
    }
    case 'cancel':
      stop(request.target);
      return;
    case 'warm-gradients':
      await gradientModel(request.batchSize);
      reply({ id: request.id, type: 'result', result: null });
      return;
    case 'dispose':
      await unload();
      reply({ id: request.id, type: 'result', result: null });
      return;
    case 'retire':
      await unload();
      // Ends this worker thread only; nothing of onnxruntime is running on it at this point.
      process.exit(0);
      return;
    case 'crash':
      process.exit(70);
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).catch((e: unknown) => {
    if (e === STOPPED) return;
    const error = e instanceof Error ? e : new Error(String(e));
    reply({ id: request.id, type: 'error', error: { name: error.name, message: error.message } });
  });
});
