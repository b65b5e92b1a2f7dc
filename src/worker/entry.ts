// The model's worker thread: one WorkerSession driven by workerProtocol's requests, answered by the handlers
// keyed by the protocol. Bundled as its own esbuild entry (out/ranker-worker.js, beside the extension).
import { parentPort } from 'node:worker_threads';
import { Endpoint, type Envelope } from '../protocol/endpoint';
import { workerProtocol } from '../protocol/worker';
import { requestHandlers } from './handlers';
import { WorkerSession } from './session';

const port = parentPort;
if (!port) throw new Error('src/worker/entry.ts must run in a worker thread (use RankerWorkerClient)');

function send(message: Envelope, transfer: ArrayBuffer[] = []): void {
  // A stopped request was notified 'cancelled' already: its late answer goes to no one.
  if (message.rl === 'response' && session.takeStopped(message.id)) return;
  try {
    port!.postMessage(message, transfer);
  } catch {
    // Buffers onnxruntime owns may refuse to be transferred; then they are copied.
    port!.postMessage(message);
  }
}

const session = new WorkerSession({
  progress: (id, done, total) => endpoint.notify('progress', { id, done, total }),
  cancelled: (id) => endpoint.notify('cancelled', { id }),
});

const endpoint = new Endpoint(
  workerProtocol,
  'view',
  send,
  {
    notifications: {
      cancel: ({ target }) => session.stop(target),
      retire: () =>
        // Ends this worker thread only, once nothing of onnxruntime runs on it any more.
        void session.unload().finally(() => process.exit(0)),
    },
    requests: requestHandlers(session),
  },
  (error) => console.error(`ranker worker: ${error.message}`),
);

port.on('message', (message: unknown) => endpoint.receive(message));
