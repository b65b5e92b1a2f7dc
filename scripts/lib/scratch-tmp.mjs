// One temporary folder per test run. The run's processes inherit TMPDIR pointing inside it, so every folder a
// test makes with mkdtemp (graph caches, CLI outputs, Slurm clusters, code-server profiles) lands there, and the
// whole run's scratch goes with it when the run ends: repeated runs no longer fill the system's temporary folder.
// Only this folder, which this script has just created under a fresh random name, is ever removed.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratchTmp(label) {
  const dir = mkdtempSync(join(tmpdir(), `ranklens-${label}-run-`));
  // Daemons a test starts under other accounts (munge for Slurm) must be able to pass through it.
  chmodSync(dir, 0o755);
  return {
    dir,
    env: { TMPDIR: dir, TMP: dir, TEMP: dir },
    remove() {
      if (process.env.RANKLENS_KEEP_TEST_TMP) {
        console.log(`RANKLENS_KEEP_TEST_TMP is set: the run's temporary files stay in ${dir}`);
        return;
      }
      // A second pass a moment later takes what a child that outlived its parent (code-server's TypeScript
      // server) wrote after the first.
      for (const pause of [0, 2000]) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
        try {
          rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        } catch (error) {
          console.error(`could not remove the run's temporary folder ${dir}: ${error.message}`);
        }
      }
    },
  };
}
