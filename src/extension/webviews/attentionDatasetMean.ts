import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  ATTENTION_STATISTICS,
  type AttentionResult,
  type AttentionStatistic,
} from '../../core/analysis/attention/attention';
import { RESULT_FORMAT } from '../../core/analysis/runner';
import type { AttentionShares } from '../../protocol/attention';
import * as v from '../../protocol/validate';

const statistic = v.object({
  description: v.string,
  perHead: v.array(v.numbers),
  meanOverHeads: v.numbers,
  chance: v.number,
  pairs: v.integer,
});

/** The part of an attention result read here (result files of every version have it). */
type AttentionSummary = Omit<AttentionResult, 'significance' | 'statistics'> & {
  readonly statistics: Readonly<
    Record<
      AttentionStatistic,
      Omit<AttentionResult['statistics'][AttentionStatistic], 'meanOverHeadsIntervals'>
    >
  >;
};

const attentionResult: v.Validator<AttentionSummary> = v.object({
  pairs: v.integer,
  numLayers: v.integer,
  numHeads: v.integer,
  convention: v.string,
  statistics: v.object(
    Object.fromEntries(
      (Object.keys(ATTENTION_STATISTICS) as AttentionStatistic[]).map((name) => [name, statistic]),
    ) as Record<AttentionStatistic, typeof statistic>,
  ),
});

/** The part of `ranklens analyze attention`'s DIR/result.json (core/analysis/runner.ts ResultFile) read here. */
const attentionResultFile = v.object({
  format: v.literal(RESULT_FORMAT),
  analysis: v.literal('attention'),
  model: v.object({ name: v.string, fingerprint: v.string, numLayers: v.integer, numHeads: v.integer }),
  data: v.object({ queries: v.integer, pairs: v.integer }),
  result: attentionResult,
});

/**
 * The explorer's five kinds (webview/shared/attentionCanvas.ts SHARE_KINDS: of the attention every token
 * gives out, the share each kind receives) are the analysis' statistics over all attending rows.
 */
const SHARE_STATISTIC: Record<keyof AttentionShares, AttentionStatistic> = {
  cls: 'toCls',
  sep: 'toSep',
  period: 'toPeriods',
  query: 'toQuery',
  doc: 'toDocument',
};

export interface DatasetMean {
  /** The result file, relative to the workspace folder (for the explorer's legend). */
  readonly source: string;
  readonly shares: AttentionShares;
}

export interface DatasetMeanLookup {
  readonly mean?: DatasetMean;
  /** One line per result file that claims to be an attention result but is not readable as one. */
  readonly problems: readonly string[];
}

/**
 * result.json files under `analysesDir`, one to three folders down (the palette writes attention/<model>/<split>/,
 * `ranklens analyze attention --out` wherever it is told, e.g. attention/NAME/).
 */
function resultFiles(analysesDir: string): string[] {
  const files: string[] = [];
  const visit = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 3) visit(child, depth + 1);
      else if (entry.isFile() && entry.name === 'result.json' && depth > 0) files.push(child);
    }
  };
  if (existsSync(analysesDir)) visit(analysesDir, 0);
  return files;
}

/** Figure 1's per-layer shares of one attention result (mean over heads, mean over pairs). */
export function sharesOf(result: AttentionSummary): AttentionShares {
  const shares = {} as Record<keyof AttentionShares, number[]>;
  for (const [kind, name] of Object.entries(SHARE_STATISTIC) as [keyof AttentionShares, AttentionStatistic][])
    shares[kind] = [...result.statistics[name].meanOverHeads];
  return shares;
}

/**
 * The dataset mean the explorer draws beside a pair's own per-layer shares: the newest attention analysis
 * result (`ranklens analyze attention`, or the palette's, under <workspace>/.ranklens/analyses/) computed
 * with the same model (checkpoint fingerprint), since another model's mean says nothing about this one.
 * Files of other analyses are skipped; an attention result that fails validation is reported, not used.
 */
export function readAttentionDatasetMean(
  workspaceFolder: string,
  analysesDir: string,
  modelFingerprint: string,
): DatasetMeanLookup {
  const problems: string[] = [];
  const candidates = resultFiles(analysesDir)
    .map((file) => ({ file, mtime: statSync(file).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { file } of candidates) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    if (
      typeof json !== 'object' ||
      json === null ||
      (json as { analysis?: unknown }).analysis !== 'attention'
    )
      continue;
    try {
      const parsed = attentionResultFile(json, 'result.json');
      if (parsed.model.fingerprint !== modelFingerprint) continue;
      const r = parsed.result;
      if (r.statistics.toCls.meanOverHeads.length !== r.numLayers)
        throw new Error(`result.statistics.toCls.meanOverHeads: expected ${r.numLayers} layers`);
      return { mean: { source: path.relative(workspaceFolder, file), shares: sharesOf(r) }, problems };
    } catch (error) {
      problems.push(
        `${file}: not an attention result: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { problems };
}
