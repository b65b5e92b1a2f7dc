import type { TokenKind } from '../text/types';

/**
 * The token kinds attention is summed over (the attention-stats graph's `token_kinds` one-hot columns).
 * Passage periods are their own kind, so 'document' is the passage's other WordPieces; a query "." stays
 * 'query' (the pair encoder labels only passage periods).
 */
export const ATTENTION_KINDS = ['cls', 'sepMiddle', 'sepFinal', 'query', 'document', 'period'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** Column of a position's kind, or -1 for padding. The [SEP] of segment 0 is the middle one. */
export function attentionKindIndex(kind: TokenKind, segment: number): number {
  switch (kind) {
    case 'cls':
      return 0;
    case 'sep':
      return segment === 0 ? 1 : 2;
    case 'query':
      return 3;
    case 'doc':
      return 4;
    case 'period':
      return 5;
    case 'pad':
      return -1;
  }
}

/** Per pair: the score and, for every layer and head, the attention mass between kinds. */
export interface AttentionSums {
  readonly score: number;
  /** Real tokens of each kind (ATTENTION_KINDS order). */
  readonly kindCounts: readonly number[];
  /** [layer, head, from kind (attending rows), to kind (keys)], row-major. */
  readonly sums: Float32Array;
}
