// What `--model A --model B` leaves beside the models' results: DIR/comparison.json (every other model against
// the first, every metric they share, query by query) and a table of it for the terminal.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeAtomically } from '../core/analysis/checkedFile';
import { DataError } from '../core/data/dataError';
import { refuseOverwritingInput } from '../core/data/outputFiles';
import { formatP } from '../core/eval/significance';
import {
  MODEL_COMPARISON_FORMAT,
  modelComparisonFile,
  type ComparedResults,
  type ModelComparisonFile,
} from '../core/report/compareModels';

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

/** The comparison as the terminal shows it: one block per other model, one row per shared metric. */
export function comparisonTable(file: ModelComparisonFile): string {
  const blocks = file.comparisons.map((c) => {
    const header = [
      'analysis',
      'metric',
      'queries',
      `A ${c.a}`,
      `B ${c.b}`,
      'Δ B−A',
      'p perm',
      'p t',
      'up/down/same',
    ];
    const rows = c.metrics.map((m) => {
      const x = m.comparison;
      return [
        m.analysis,
        m.metric,
        String(m.queries),
        x.baseline.mean.toFixed(4),
        x.treatment.mean.toFixed(4),
        `${signed(x.difference.mean)}${x.significant ? ' *' : ''}`,
        `[${signed(x.difference.lower)}, ${signed(x.difference.upper)}]`,
        formatP(x.permutation.p),
        x.tTest.p === null ? 'n/a' : formatP(x.tTest.p),
        `${x.improved}/${x.hurt}/${x.unchanged}`,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: readonly string[]) =>
      cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
    return [
      `${c.b} (B) against ${c.a} (A), paired over queries (* significant):`,
      line(header),
      ...rows.map(line),
      ...(rows.length === 0 ? ['  no shared per-query metric'] : []),
      ...c.mismatches.map((m) => `  note: ${m}`),
    ].join('\n');
  });
  return `${blocks.join('\n\n')}\n${file.significance}\n`;
}

/** Refuses to replace a file at `file` that RankLens did not write (`isOurs` looks at its text). */
async function refuseForeignFile(
  file: string,
  isOurs: (text: string) => boolean,
  what: string,
): Promise<void> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined && !isOurs(text))
    throw new DataError(file, undefined, what, 'another file (RankLens does not replace it)');
}

const isComparisonFile = (text: string) => {
  try {
    return (JSON.parse(text) as { format?: unknown }).format === MODEL_COMPARISON_FORMAT;
  } catch {
    return false;
  }
};

/** RankLens reports carry a generator tag. */
export const isRankLensReport = (text: string) => text.includes('<meta name="generator" content="RankLens">');

/**
 * Checks, before any model runs, that DIR/comparison.json and DIR/report.html are RankLens's to write: not an
 * input, and not a file of the user's (an earlier comparison or report there is replaced).
 */
export async function checkComparisonOutputs(
  dir: string,
  inputs: readonly string[],
  html = true,
): Promise<void> {
  const comparison = path.join(dir, 'comparison.json');
  await refuseOverwritingInput(comparison, inputs);
  await refuseForeignFile(
    comparison,
    isComparisonFile,
    `a RankLens model comparison (${MODEL_COMPARISON_FORMAT})`,
  );
  if (!html) return;
  const report = path.join(dir, 'report.html');
  await refuseOverwritingInput(report, inputs);
  await refuseForeignFile(report, isRankLensReport, 'a RankLens report');
}

/**
 * Writes DIR/comparison.json (replacing only an earlier comparison file, never an input or another file) and
 * returns its content.
 */
export async function writeModelComparison(
  dir: string,
  first: ComparedResults,
  others: readonly ComparedResults[],
  folders: Readonly<Record<string, string>>,
  inputs: readonly string[],
): Promise<{ file: string; comparison: ModelComparisonFile }> {
  const file = path.join(dir, 'comparison.json');
  await refuseOverwritingInput(file, inputs);
  await refuseForeignFile(file, isComparisonFile, `a RankLens model comparison (${MODEL_COMPARISON_FORMAT})`);
  const comparison = modelComparisonFile(first, others, folders);
  await writeAtomically(file, JSON.stringify(comparison, null, 1) + '\n');
  return { file, comparison };
}

/** Writes an HTML report at `file`, replacing only an earlier RankLens report there. */
export async function writeReportFile(file: string, html: string, inputs: readonly string[]): Promise<void> {
  await refuseOverwritingInput(file, inputs);
  await refuseForeignFile(file, isRankLensReport, 'a RankLens report');
  await writeAtomically(file, html);
}
