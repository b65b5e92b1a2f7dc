// Preloaded into a CLI child process by measuredCli.ts: on exit, writes the process's own peak memory and
// CPU time to RANKLENS_USAGE_FILE, so a test can bound what one command cost without platform tools.
const { writeFileSync } = require('node:fs');
const target = process.env.RANKLENS_USAGE_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ maxRssKiB: usage.maxRSS }));
  });
}
