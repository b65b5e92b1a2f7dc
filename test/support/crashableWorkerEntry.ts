// The worker entry with one more message, for tests: CRASH_MESSAGE makes the thread exit abruptly (code 70),
// as a native crash would. Its listener is registered before the entry's, so the entry never sees it.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && 'testCrash' in message) process.exit(70);
});
// Loaded after the listener above is registered (a static import would run first).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/worker/entry');
