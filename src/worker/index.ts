// The model's worker thread: the extension's way to run the ranker off its event loop. The entry
// (src/worker/entry.ts) is bundled on its own, as out/ranker-worker.js.
export {
  RankerWorkerClient,
  defaultWorkerPath,
  DEFAULT_CANCEL_GRACE_MS,
  DEFAULT_SPARE_IDLE_MS,
  type WorkerClientOptions,
} from './client';
