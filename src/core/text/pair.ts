import type { WordPieceTokenizer, WordPieceToken } from './tokenizer';
import type { EncodedPair, EncodedToken, PairEncodingOptions, Segment, TokenKind } from './types';

export const DEFAULT_MAX_LENGTH = 256;
export const DEFAULT_MAX_QUERY_LENGTH = 64;

export interface PairOptions extends PairEncodingOptions {
  /**
   * Also label "." tokens of the QUERY as 'period' (default false: query periods stay 'query').
   * Zhan et al.'s period-mask experiments only touch passage periods; their attention statistics
   * (attpattern/draw.py) scan the whole sequence. MS MARCO queries almost never contain a period.
   */
  readonly queryPeriods?: boolean;
}

interface ResolvedLimits {
  readonly maxLength: number;
  readonly maxQueryLength: number;
}

function resolveLimits(options: PairOptions): ResolvedLimits {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const maxQueryLength = options.maxQueryLength ?? DEFAULT_MAX_QUERY_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 3) {
    throw new Error(`maxLength must be an integer >= 3 ([CLS] and two [SEP]), got ${String(maxLength)}`);
  }
  if (!Number.isInteger(maxQueryLength) || maxQueryLength < 0) {
    throw new Error(`maxQueryLength must be an integer >= 0, got ${String(maxQueryLength)}`);
  }
  // A query limit above what the sequence can hold is clamped so [SEP] [SEP] always fit.
  return { maxLength, maxQueryLength: Math.min(maxQueryLength, maxLength - 3) };
}

/** Zhan et al.'s is_num: every character an ASCII digit ("##5" is not a number). */
function isNumberToken(text: string): boolean {
  return /^[0-9]+$/.test(text);
}

/**
 * `[CLS] query [SEP] passage [SEP]`: the query cut to maxQueryLength WordPieces, then the passage cut
 * so the whole fits maxLength (monoBERT / Zhan et al.: passage budget = maxLength - 3 - query pieces).
 */
export function encodePair(
  tokenizer: WordPieceTokenizer,
  query: string,
  passage: string,
  options: PairOptions = {},
): EncodedPair {
  return encodeTokenizedPair(tokenizer, tokenizer.tokenize(query), tokenizer.tokenize(passage), options);
}

/** encodePair for texts already tokenised (lets a ranker tokenise a query once for 1000 passages). */
export function encodeTokenizedPair(
  tokenizer: WordPieceTokenizer,
  queryTokens: readonly WordPieceToken[],
  passageTokens: readonly WordPieceToken[],
  options: PairOptions = {},
): EncodedPair {
  const { maxLength, maxQueryLength } = resolveLimits(options);
  const query = queryTokens.slice(0, maxQueryLength);
  const passageBudget = maxLength - 3 - query.length;
  const passage = passageTokens.slice(0, passageBudget);

  const c = tokenizer.config;
  const tokens: EncodedToken[] = [];
  // Object literals of one shape (no spreads): this loop runs for every token of every ranked pair.
  const special = (text: string, id: number, kind: TokenKind, segment: Segment): void => {
    tokens.push({ text, id, kind, segment, start: -1, end: -1 });
  };
  const pieces = (
    list: readonly WordPieceToken[],
    kind: 'query' | 'doc',
    segment: Segment,
    periods: boolean,
  ): void => {
    for (let j = 0; j < list.length; j++) {
      const t = list[j]!;
      const isPeriod = periods && t.text === '.' && !bothNeighboursAreNumbers(list, j);
      tokens.push({
        text: t.text,
        id: t.id,
        kind: isPeriod ? 'period' : kind,
        segment,
        start: t.start,
        end: t.end,
      });
    }
  };
  special(c.clsToken, tokenizer.clsId, 'cls', 0);
  pieces(query, 'query', 0, options.queryPeriods ?? false);
  special(c.sepToken, tokenizer.sepId, 'sep', 0);
  pieces(passage, 'doc', 1, true);
  special(c.sepToken, tokenizer.sepId, 'sep', 1);

  const realLength = tokens.length;
  const length = options.padToMaxLength ? maxLength : realLength;
  if (length > realLength) {
    if (tokenizer.padId === undefined) {
      throw new Error(
        `padding asked for, but the vocabulary (${tokenizer.vocab.source}) has no ${c.padToken}`,
      );
    }
    // Padding carries token type 0, as HF's pad_token_type_id.
    for (let i = realLength; i < length; i++) special(c.padToken, tokenizer.padId, 'pad', 0);
  }
  const inputIds = new Int32Array(length);
  const tokenTypeIds = new Int32Array(length);
  const attentionMask = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const t = tokens[i]!;
    inputIds[i] = t.id;
    tokenTypeIds[i] = t.segment;
    attentionMask[i] = t.kind === 'pad' ? 0 : 1;
  }
  return {
    tokens,
    inputIds,
    tokenTypeIds,
    attentionMask,
    queryTruncated: queryTokens.length > query.length,
    passageTruncated: passageTokens.length > passage.length,
    passageTokenCount: passageTokens.length,
  };
}

/**
 * "." is a period unless both neighbours in the (truncated) sequence are numbers: "3.14" -> 3 . 14 is
 * not a period (Zhan et al., utils.get_period_idxes). At either end of a segment the neighbour is
 * [CLS] or [SEP], which is no number.
 */
function bothNeighboursAreNumbers(list: readonly WordPieceToken[], j: number): boolean {
  return j > 0 && j < list.length - 1 && isNumberToken(list[j - 1]!.text) && isNumberToken(list[j + 1]!.text);
}

/** Positions that carry attention (not padding). */
export function realLength(pair: EncodedPair): number {
  let n = 0;
  for (const m of pair.attentionMask) n += m;
  return n;
}

/** True for the query's own WordPieces, period or not. */
export function isQueryToken(t: EncodedToken): boolean {
  return t.segment === 0 && (t.kind === 'query' || t.kind === 'period');
}

/** True for the passage's own WordPieces, period or not. */
export function isPassageToken(t: EncodedToken): boolean {
  return t.segment === 1 && (t.kind === 'doc' || t.kind === 'period');
}
