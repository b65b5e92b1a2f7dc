// Worker thread entry for RankerWorkerClient: one Ranker per worker, driven by WorkerRequest messages.
// Bundle this file as its own esbuild entry (e.g. out/ranker-worker.js, next to the code using the client).
import { parentPort } from 'node:worker_threads';
import { Ranker } from './ranker';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread (use RankerWorkerClient)');

let ranker: Ranker | undefined;
const cancellers = new Map<number, AbortController>();

function reply(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  try {
    port!.postMessage(message, transfer);
  } catch {
    // Buffers onnxruntime owns may refuse to be transferred; then they are copied.
    port!.postMessage(message);
  }
}

function loaded(): Ranker {
  if (!ranker) throw new Error('no model loaded in the ranker worker');
  return ranker;
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'load': {
      await ranker?.dispose();
      ranker = await Ranker.load(request.dir, request.options);
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
    case 'inspect': {
      const result = await loaded().inspect(request.pair, request.options);
      reply({ id: request.id, type: 'result', result }, [
        result.attentions.buffer as ArrayBuffer,
        result.hiddenStates.buffer as ArrayBuffer,
      ]);
      return;
    }
    case 'cancel':
      cancellers.get(request.target)?.abort(new Error('cancelled'));
      return;
    case 'dispose':
      await ranker?.dispose();
      ranker = undefined;
      reply({ id: request.id, type: 'result', result: null });
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
