// Memory and time of reading a large run file (readRun), against the size of the file. The run is
// generated in a child process so its writing does not count in this process's peak RSS.
// Run: node --expose-gc --import tsx bench/runs.ts [LINES] [msmarco|trec]   (default 10,000,000 msmarco)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../test/support/tempFiles';
import { mulberry32 } from '../src/core/random';
import { readRun } from '../src/core/data/runs';

const generating = process.argv[2] === '--generate';
const args = generating ? process.argv.slice(4) : process.argv.slice(2);
const lines = Number(args[0] ?? 10_000_000);
const format = args[1] === 'trec' ? 'trec' : 'msmarco';
const PER_QUERY = 1000;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function generate(file: string): void {
  const next = mulberry32(7);
  let base = 0;
  const fd = fs.openSync(file, 'w');
  let chunk: string[] = [];
  for (let i = 0; i < lines; i++) {
    const qid = 1_000_000 + Math.floor(i / PER_QUERY);
    const rank = (i % PER_QUERY) + 1;
    // Numeric MS MARCO passage ids, distinct within a query: a random base per query plus a rank stride.
    if (rank === 1) base = Math.floor(next() * 8_841_823);
    const pid = (base + rank * 7919) % 8_841_823;
    chunk.push(
      format === 'trec'
        ? `${qid} Q0 ${pid} ${rank} ${(100 - rank / 10).toFixed(4)} bench`
        : `${qid}\t${pid}\t${rank}`,
    );
    if (chunk.length === 100_000) {
      fs.writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  fs.closeSync(fd);
}

async function main() {
  const dir = tempDir('bench-runs');
  const file = path.join(dir, `run.${format}`);
  try {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', __filename, '--generate', file, String(lines), format],
      { stdio: 'inherit' },
    );
    if (child.status !== 0) throw new Error('generation failed');
    const size = fs.statSync(file).size;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.resourceUsage().maxRSS * 1024;
    const t = performance.now();
    const run = await readRun(file);
    const seconds = (performance.now() - t) / 1000;
    gc?.();
    const retained = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
    const peak = process.resourceUsage().maxRSS * 1024;
    const first = run.rankings.get(run.rankings.keys().next().value as string)!;
    console.log(
      `${lines.toLocaleString('en')} lines (${format}, ${mb(size)}): read in ${seconds.toFixed(1)} s, ` +
        `peak RSS ${mb(peak)} (${(peak / size).toFixed(1)}x the file; ${mb(rssBefore)} before), ` +
        `retained ${gc ? mb(retained) : '? (run with --expose-gc)'}; ${run.rankings.size} queries, ` +
        `first has ${first.length} candidates`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (generating) {
  generate(process.argv[3]);
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
