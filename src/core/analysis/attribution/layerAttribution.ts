import { BASELINES, DEFAULT_TOLERANCE, type AttributionResult, type Baseline } from '../../attribution';
import { ATTRIBUTION_GROUPS, sumByAttributionGroup, type AttributionGroup } from '../tokenGroups';
import type { CanAttribute } from '../modelCapabilities';
import type { EncodedPair } from '../../text/types';
import type { ScoreResult } from '../../runtime/types';

/**
 * Analysis 2 (Zhan et al., Figure 2): layer-wise Integrated Gradients with the empty-query and
 * empty-document baselines over the relevant pairs that the model itself ranks as relevant, summarised
 * per layer as the attribution that falls on [CLS], [SEP], the query, the document and its periods.
 *
 * Map: one chunk of queries -> one record per attributed pair. Reduce: concatenate records in query order.
 * Finalize: sums over the records in that order, so a single run and merged shards give the same bits.
 */

/** Which relevant pairs count as "classified correctly by the model" (the paper: P(relevant) > 0.5). */
export type RelevanceSelection =
  | { readonly kind: 'probability'; readonly threshold: number }
  | { readonly kind: 'rank'; readonly topK: number };

/** Two-label (monoBERT) models: P > 0.5, as the paper; one-label models: ranked in the top 10. */
export function defaultSelection(numLabels: 1 | 2): RelevanceSelection {
  return numLabels === 2 ? { kind: 'probability', threshold: 0.5 } : { kind: 'rank', topK: 10 };
}

export interface AttributionAnalysisSettings {
  readonly selection: RelevanceSelection;
  /** Layers to attribute at, or 'all' (0..L). */
  readonly layers: readonly number[] | 'all';
  readonly baselines: readonly Baseline[];
  readonly tolerance: number;
  readonly maxPoints?: number;
  /** Most relevant pairs attributed per query (default 1: the first relevant candidate that qualifies). */
  readonly pairsPerQuery: number;
}

export const DEFAULT_ATTRIBUTION_SETTINGS: Omit<AttributionAnalysisSettings, 'selection'> = {
  layers: 'all',
  baselines: BASELINES,
  tolerance: DEFAULT_TOLERANCE,
  pairsPerQuery: 1,
};

/** One query with its candidate passages, already encoded, and which of them are relevant. */
export interface QueryCandidates {
  readonly qid: string;
  readonly candidates: readonly {
    readonly pid: string;
    readonly pair: EncodedPair;
    readonly relevant: boolean;
  }[];
}

/** What the analysis needs of a model: scores for candidate lists, and IG for one pair. */
export interface AttributionModel extends CanAttribute {
  readonly info: { readonly numLabels: 1 | 2 };
  score(
    pairs: readonly EncodedPair[],
    options?: { readonly signal?: AbortSignal; readonly batchSize?: number },
  ): Promise<readonly ScoreResult[]>;
}

export type GroupValues = Readonly<Record<AttributionGroup, number>>;

/** One (layer, baseline) integral of one pair, reduced to group sums. */
export interface PairIntegral {
  readonly layer: number;
  readonly baseline: Baseline;
  /** F(x) - F(x'). */
  readonly delta: number;
  /** Signed attribution summed over each group. */
  readonly signed: GroupValues;
  /** |attribution| summed over each group. */
  readonly absolute: GroupValues;
  /** |attribution| summed over all tokens. */
  readonly absoluteTotal: number;
  readonly completenessError: number;
  readonly points: number;
  readonly converged: boolean;
}

export interface AttributedPair {
  readonly qid: string;
  readonly pid: string;
  readonly score: number;
  /** 1-based rank among the query's candidates (rank selection only). */
  readonly rank?: number;
  readonly integrals: readonly PairIntegral[];
}

export interface AttributionPartial {
  readonly queries: number;
  /** Relevant pairs seen (before the model-based selection). */
  readonly relevantPairs: number;
  readonly pairs: readonly AttributedPair[];
}

/** Reduces one pair's IG result to per-group sums (signed and absolute). */
export function summarizeIntegrals(pair: EncodedPair, result: AttributionResult): PairIntegral[] {
  return result.layers.map((entry) => {
    const absoluteValues = entry.attributions.map(Math.abs);
    return {
      layer: entry.layer,
      baseline: entry.baseline,
      delta: entry.scoreInput - entry.scoreBaseline,
      signed: sumByAttributionGroup(pair.tokens, entry.attributions),
      absolute: sumByAttributionGroup(pair.tokens, absoluteValues),
      absoluteTotal: absoluteValues.reduce((a, b) => a + b, 0),
      completenessError: entry.completenessError,
      points: entry.points,
      converged: entry.converged,
    };
  });
}

/** Ranks (1-based) of every candidate by score, descending; ties keep the candidate order. */
export function ranksByScore(scores: readonly number[]): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const ranks = new Array<number>(scores.length);
  order.forEach((candidate, r) => (ranks[candidate] = r + 1));
  return ranks;
}

/** Map step: selects the relevant pairs the model ranks as relevant and attributes them. */
export async function attributionMap(
  queries: readonly QueryCandidates[],
  model: AttributionModel,
  settings: AttributionAnalysisSettings,
  options: {
    readonly signal?: AbortSignal;
    readonly batchSize?: number;
    /** Called after each query with the number of candidate pairs of the chunk handled so far. */
    readonly onPairs?: (done: number) => void;
  } = {},
): Promise<AttributionPartial> {
  const pairs: AttributedPair[] = [];
  let relevantPairs = 0;
  let handled = 0;
  for (const query of queries) {
    options.signal?.throwIfAborted();
    const relevant = query.candidates.flatMap((c, i) => (c.relevant ? [i] : []));
    relevantPairs += relevant.length;
    handled += query.candidates.length;
    if (relevant.length === 0) {
      options.onPairs?.(handled);
      continue;
    }
    const { selection } = settings;
    // Rank selection needs the whole list scored; probability selection only the relevant pairs.
    const scored = selection.kind === 'rank' ? query.candidates.map((_, i) => i) : relevant;
    const results = await model.score(
      scored.map((i) => query.candidates[i].pair),
      { signal: options.signal, batchSize: options.batchSize },
    );
    const scoreOf = new Map(scored.map((candidate, k) => [candidate, results[k].score]));
    const ranks = selection.kind === 'rank' ? ranksByScore(results.map((r) => r.score)) : undefined;
    const chosen = relevant
      .filter((i) =>
        selection.kind === 'rank' ? ranks![i] <= selection.topK : scoreOf.get(i)! > selection.threshold,
      )
      .slice(0, settings.pairsPerQuery);
    for (const i of chosen) {
      const candidate = query.candidates[i];
      const result = await model.attribute(candidate.pair, {
        layers: settings.layers,
        baselines: settings.baselines,
        tolerance: settings.tolerance,
        maxPoints: settings.maxPoints,
        signal: options.signal,
      });
      pairs.push({
        qid: query.qid,
        pid: candidate.pid,
        score: scoreOf.get(i)!,
        ...(ranks ? { rank: ranks[i] } : {}),
        integrals: summarizeIntegrals(candidate.pair, result),
      });
    }
    options.onPairs?.(handled);
  }
  return { queries: queries.length, relevantPairs, pairs };
}

/** Reduce: partials in chunk order; concatenation keeps the pair order of a single run. */
export function mergeAttributionPartials(partials: readonly AttributionPartial[]): AttributionPartial {
  return {
    queries: partials.reduce((n, p) => n + p.queries, 0),
    relevantPairs: partials.reduce((n, p) => n + p.relevantPairs, 0),
    pairs: partials.flatMap((p) => p.pairs),
  };
}

/** Completeness-error histogram bins (relative error, upper bounds; the last bin is open). */
export const COMPLETENESS_BINS: readonly number[] = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1];

export interface CompletenessSummary {
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
  readonly unconverged: number;
  /** Counts per bin: error <= COMPLETENESS_BINS[i], and one last bin for everything above. */
  readonly histogram: readonly number[];
  readonly meanPoints: number;
}

export interface LayerShares {
  readonly layer: number;
  readonly pairs: number;
  /**
   * The figure's quantity: mean signed attribution of the group divided by the mean F(x) - F(x')
   * (a ratio of means). Groups [CLS] + [SEP] + query + document sum to the completeness-corrected 1;
   * periods are part of the document.
   */
  readonly share: GroupValues;
  /** Zhan et al.'s plotted value: mean signed attribution per group, in score units. */
  readonly meanAttribution: GroupValues;
  /** Mean over pairs of sum|a| over the group / sum|a| over all tokens (sign-blind, per pair). */
  readonly absoluteShare: GroupValues;
  readonly meanDelta: number;
  readonly completeness: CompletenessSummary;
}

export interface AttributionAnalysisResult {
  readonly settings: AttributionAnalysisSettings;
  readonly queries: number;
  readonly relevantPairs: number;
  readonly attributedPairs: number;
  readonly baselines: readonly { readonly baseline: Baseline; readonly layers: readonly LayerShares[] }[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summarizeCompleteness(integrals: readonly PairIntegral[]): CompletenessSummary {
  const errors = integrals.map((e) => e.completenessError);
  const sorted = [...errors].sort((a, b) => a - b);
  const histogram = new Array<number>(COMPLETENESS_BINS.length + 1).fill(0);
  for (const e of errors) {
    const bin = COMPLETENESS_BINS.findIndex((bound) => e <= bound);
    histogram[bin < 0 ? COMPLETENESS_BINS.length : bin]++;
  }
  const n = Math.max(1, errors.length);
  return {
    mean: errors.reduce((a, b) => a + b, 0) / n,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1] ?? 0,
    unconverged: integrals.filter((e) => !e.converged).length,
    histogram,
    meanPoints: integrals.reduce((a, e) => a + e.points, 0) / n,
  };
}

function groupRecord(value: (group: AttributionGroup) => number): GroupValues {
  const out = {} as Record<AttributionGroup, number>;
  for (const g of ATTRIBUTION_GROUPS) out[g] = value(g);
  return out;
}

/** Finalize: per baseline and layer, shares and completeness over all attributed pairs. */
export function finalizeAttribution(
  partial: AttributionPartial,
  settings: AttributionAnalysisSettings,
): AttributionAnalysisResult {
  const byKey = new Map<string, PairIntegral[]>();
  for (const pair of partial.pairs) {
    for (const integral of pair.integrals) {
      const key = `${integral.baseline}\t${integral.layer}`;
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(integral);
    }
  }
  const layerNumbers = [...new Set(partial.pairs.flatMap((p) => p.integrals.map((i) => i.layer)))].sort(
    (a, b) => a - b,
  );
  return {
    settings,
    queries: partial.queries,
    relevantPairs: partial.relevantPairs,
    attributedPairs: partial.pairs.length,
    baselines: settings.baselines.map((baseline) => ({
      baseline,
      layers: layerNumbers.flatMap((layer): LayerShares[] => {
        const list = byKey.get(`${baseline}\t${layer}`);
        if (!list) return [];
        const n = list.length;
        const meanDelta = list.reduce((a, e) => a + e.delta, 0) / n;
        const meanAttribution = groupRecord((g) => list.reduce((a, e) => a + e.signed[g], 0) / n);
        return [
          {
            layer,
            pairs: n,
            share: groupRecord((g) => (meanDelta === 0 ? 0 : meanAttribution[g] / meanDelta)),
            meanAttribution,
            absoluteShare: groupRecord(
              (g) =>
                list.reduce((a, e) => a + (e.absoluteTotal > 0 ? e.absolute[g] / e.absoluteTotal : 0), 0) / n,
            ),
            meanDelta,
            completeness: summarizeCompleteness(list),
          },
        ];
      }),
    })),
  };
}
