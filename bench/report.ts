// `ranklens report` at its defaults, analysis by analysis: wall seconds and CPU seconds (user + system of this
// process, every thread), with the load average beside them (wall time is only meaningful on a quiet machine).
// Usage: node --import tsx bench/report.ts [--only a,b] [--threads N] [--model DIR] [--work-dir DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { InProcessAnalysisModel } from '../src/core/analysis/inProcessModel';
import { DEFAULT_REPORT_SIZES, runReportAnalyses, sampleWorkspaceFiles } from '../src/core/report/runReport';
import { DEFAULT_MAX_LENGTH } from '../src/core/text/pair';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const root = path.join(__dirname, '..');
  const modelDir = option('model') ?? path.join(root, 'models', 'ranklens-minilm-l6');
  const only = option('only')?.split(',');
  const threads = option('threads') ? Number(option('threads')) : undefined;
  const keep = option('work-dir');
  const workDir = keep ?? mkdtempSync(path.join(tmpdir(), 'ranklens-report-bench-'));
  const startWall = performance.now();
  const startCpu = cpuSeconds();
  const model = await InProcessAnalysisModel.load(modelDir, { threads, maxLength: DEFAULT_MAX_LENGTH });
  const rows: { name: string; wall: number; cpu: number; pairs: number; load: string }[] = [];
  let current: { name: string; wall: number; cpu: number } | undefined;
  const close = () => {
    if (current)
      rows.push({
        name: current.name,
        wall: (performance.now() - current.wall) / 1000,
        cpu: cpuSeconds() - current.cpu,
        pairs: 0,
        load: load(),
      });
  };
  console.log(`model load: ${((performance.now() - startWall) / 1000).toFixed(1)} s wall; load ${load()}`);
  try {
    const input = await runReportAnalyses({
      files: sampleWorkspaceFiles(path.join(root, 'sample-workspace')),
      sizes: DEFAULT_REPORT_SIZES,
      model,
      modelName: path.basename(modelDir),
      maxLength: Math.min(DEFAULT_MAX_LENGTH, model.info.maxLength),
      workDir,
      settings: { probing: { learningRate: 1e-3 } },
      only,
      onAnalysis: (name) => {
        close();
        current = { name, wall: performance.now(), cpu: cpuSeconds() };
        process.stderr.write(`${name}...\n`);
      },
    });
    close();
    for (const row of rows) row.pairs = input.timings.find((t) => t.analysis === row.name)?.pairs ?? 0;
    console.log(input.settings[0]);
    console.log(
      `${'analysis'.padEnd(22)} ${'pairs'.padStart(6)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)}  load avg`,
    );
    for (const r of rows)
      console.log(
        `${r.name.padEnd(22)} ${String(r.pairs).padStart(6)} ${r.wall.toFixed(1).padStart(8)} ${r.cpu.toFixed(1).padStart(8)}  ${r.load}`,
      );
    console.log(
      `${'total (with model load)'.padEnd(22)} ${''.padStart(6)} ${((performance.now() - startWall) / 1000).toFixed(1).padStart(8)} ${(cpuSeconds() - startCpu).toFixed(1).padStart(8)}  ${load()}`,
    );
  } finally {
    await model.dispose();
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  }
}

void main();
