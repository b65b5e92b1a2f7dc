/** What a position in an encoded query/passage pair is, as the paper's analyses group tokens. */
export type TokenKind = 'cls' | 'sep' | 'query' | 'doc' | 'period' | 'pad';

/** Which text a token came from: 0 = the query segment (with [CLS] and the first [SEP]), 1 = the passage. */
export type Segment = 0 | 1;

export interface EncodedToken {
  /** The WordPiece as it appears in the vocabulary, e.g. "##ing" or "[CLS]". */
  readonly text: string;
  readonly id: number;
  readonly kind: TokenKind;
  readonly segment: Segment;
  /**
   * Half-open UTF-16 offsets [start, end) into the ORIGINAL query (segment 0) or passage (segment 1)
   * string; special tokens and padding have start = end = -1.
   */
  readonly start: number;
  readonly end: number;
}

export interface EncodedPair {
  readonly tokens: readonly EncodedToken[];
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: Int32Array;
  readonly queryTruncated: boolean;
  readonly passageTruncated: boolean;
  /** Number of passage WordPieces before truncation (to say how much was cut). */
  readonly passageTokenCount: number;
}

export interface PairEncodingOptions {
  /** Total length including [CLS] and both [SEP]s; BERT rankers and the paper use 256. */
  readonly maxLength?: number;
  /** Query WordPieces kept at most (monoBERT keeps 64). */
  readonly maxQueryLength?: number;
  /** Pad to exactly maxLength (else no padding). */
  readonly padToMaxLength?: boolean;
}
