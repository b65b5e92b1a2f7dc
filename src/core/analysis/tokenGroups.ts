import { mulberry32, shuffleWith } from '../random';
import type { EncodedToken } from '../text/types';

/**
 * The token groups of Zhan et al.'s probing experiment (Figure 3), as positions in an encoded pair
 * `[CLS] query [SEP] passage [SEP]`. Caps and sampling follow the authors' probing/save_embed.py:
 * 10 random passage tokens, 15 random passage stop words, the first 20 passage tokens that repeat a
 * (non-stop-word) query token; every group is then cut to its first PROBE_MAX_TOKENS positions, as their
 * probe dataset does (max_token_num 20).
 */
export type ProbeGroup = 'cls' | 'sep' | 'period' | 'query' | 'randomDoc' | 'stopWordDoc' | 'queryTermDoc';

export const PROBE_GROUPS: readonly ProbeGroup[] = [
  'cls',
  'sep',
  'period',
  'query',
  'randomDoc',
  'stopWordDoc',
  'queryTermDoc',
];

/** How the paper's Figure 3 legend names each group. */
export const PROBE_GROUP_LABELS: Readonly<Record<ProbeGroup, string>> = {
  cls: '[CLS]',
  sep: '[SEP]',
  period: 'Periods (Doc)',
  query: 'Query',
  randomDoc: 'Random (Doc)',
  stopWordDoc: 'Stop Words (Doc)',
  queryTermDoc: 'Query Terms (Doc)',
};

export const PROBE_MAX_TOKENS = 20;
const RANDOM_DOC_TOKENS = 10;
const STOP_WORD_TOKENS = 15;

export type ProbePositions = Readonly<Record<ProbeGroup, readonly number[]>>;

/**
 * Positions of every probing group in one pair (real tokens only, no padding). `seed` fixes the random
 * samples; callers derive it from the pair (e.g. its index), so results do not depend on chunking.
 */
export function probePositions(
  tokens: readonly EncodedToken[],
  stopWords: ReadonlySet<string>,
  seed: number,
): ProbePositions {
  const cls: number[] = [];
  const sep: number[] = [];
  const period: number[] = [];
  const query: number[] = [];
  const passage: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'pad') break;
    if (t.kind === 'cls') cls.push(i);
    else if (t.kind === 'sep') sep.push(i);
    else if (t.segment === 0) query.push(i);
    else {
      passage.push(i);
      if (t.kind === 'period') period.push(i);
    }
  }
  const random = mulberry32(seed);
  const randomDoc = shuffleWith(passage, random).slice(0, RANDOM_DOC_TOKENS);
  const stopWordDoc = shuffleWith(
    passage.filter((i) => stopWords.has(tokens[i].text)),
    random,
  ).slice(0, STOP_WORD_TOKENS);
  const queryTerms = new Set(query.map((i) => tokens[i].text).filter((text) => !stopWords.has(text)));
  const queryTermDoc = passage.filter((i) => queryTerms.has(tokens[i].text));
  const cap = (positions: readonly number[]) => positions.slice(0, PROBE_MAX_TOKENS);
  return {
    cls: cap(cls),
    sep: cap(sep),
    period: cap(period),
    query: cap(query),
    randomDoc: cap(randomDoc),
    stopWordDoc: cap(stopWordDoc),
    queryTermDoc: cap(queryTermDoc),
  };
}

/**
 * The groups of the attribution experiment (Figure 2), as Zhan et al.'s attribution/draw.py sums them:
 * [CLS]; both [SEP]s; the query's WordPieces; the passage's WordPieces (periods included); passage
 * periods (also counted in `document`).
 */
export type AttributionGroup = 'cls' | 'sep' | 'query' | 'document' | 'period';
export const ATTRIBUTION_GROUPS: readonly AttributionGroup[] = ['cls', 'sep', 'query', 'document', 'period'];
export const ATTRIBUTION_GROUP_LABELS: Readonly<Record<AttributionGroup, string>> = {
  cls: '[CLS]',
  sep: '[SEP]',
  query: 'Query',
  document: 'Document',
  period: 'Periods',
};

/** Sum of `values` over each attribution group (values aligned with `tokens`). */
export function sumByAttributionGroup(
  tokens: readonly EncodedToken[],
  values: ArrayLike<number>,
): Record<AttributionGroup, number> {
  const sums: Record<AttributionGroup, number> = { cls: 0, sep: 0, query: 0, document: 0, period: 0 };
  for (let i = 0; i < values.length; i++) {
    const t = tokens[i];
    const v = values[i];
    if (t.kind === 'cls') sums.cls += v;
    else if (t.kind === 'sep') sums.sep += v;
    else if (t.kind === 'pad') continue;
    else if (t.segment === 0) sums.query += v;
    else {
      sums.document += v;
      if (t.kind === 'period') sums.period += v;
    }
  }
  return sums;
}
