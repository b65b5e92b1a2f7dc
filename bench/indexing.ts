// Collection indexing throughput on a generated 1 GB MS MARCO-like file, next to `wc -l`, and peak memory.
// Usage: node --import tsx bench/indexing.ts [sizeMB]   (the index runs in a child process so its peak RSS is its own)
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CollectionIndex } from '../src/core/data';

async function generate(file: string, targetBytes: number): Promise<number> {
  const words =
    'the of and to in a is for that on with as by was are from at an be or this which its can it'.split(' ');
  const vocabulary = [...words, ...Array.from({ length: 5000 }, (_, i) => `term${i.toString(36)}`)];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out = createWriteStream(file);
  let written = 0;
  let pid = 0;
  while (written < targetBytes) {
    let chunk = '';
    for (let k = 0; k < 2000; k++) {
      const length = 40 + Math.floor(next() * 40); // MS MARCO passages average ~56 words, ~330 bytes a line
      const text = Array.from({ length }, () => vocabulary[Math.floor(next() ** 2 * vocabulary.length)]).join(
        ' ',
      );
      chunk += `${pid++}\t${text}.\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return pid;
}

async function child(file: string): Promise<void> {
  const started = process.hrtime.bigint();
  const index = await CollectionIndex.open(file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const probe = await index.get(String(Math.floor(index.size / 2)));
  process.stdout.write(
    JSON.stringify({
      seconds,
      passages: index.size,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      probeOk: !!probe,
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const sizeMB = Number(process.argv[2] ?? 1024);
  const dir = path.join(tmpdir(), 'ranklens-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `collection.${sizeMB}MB.tsv`);
  if (!existsSync(file) || statSync(file).size < sizeMB * 1024 * 1024) {
    console.log(`generating ${file} …`);
    await generate(file, sizeMB * 1024 * 1024);
  }
  const bytes = statSync(file).size;
  const mb = bytes / 1024 / 1024;
  execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] }); // warm the page cache for both
  const wcStart = process.hrtime.bigint();
  const lines = Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  const wcSeconds = Number(process.hrtime.bigint() - wcStart) / 1e9;
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', file], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const result = JSON.parse(r.stdout) as {
    seconds: number;
    passages: number;
    peakRssMB: number;
    probeOk: boolean;
  };
  console.log(`file: ${mb.toFixed(0)} MB, ${lines} lines`);
  console.log(`wc -l:          ${wcSeconds.toFixed(2)} s  ${(mb / wcSeconds).toFixed(0)} MB/s`);
  console.log(
    `CollectionIndex: ${result.seconds.toFixed(2)} s  ${(mb / result.seconds).toFixed(0)} MB/s  (${result.passages} passages)`,
  );
  console.log(`ratio index/wc: ${(result.seconds / wcSeconds).toFixed(2)}x the time of wc -l`);
  console.log(
    `peak RSS while indexing: ${result.peakRssMB.toFixed(0)} MB (${((result.peakRssMB * 1024 * 1024) / result.passages).toFixed(0)} bytes/passage incl. node)`,
  );
}

void main();
