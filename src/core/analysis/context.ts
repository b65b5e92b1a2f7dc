import { encodePair, loadTokenizer } from '../text';
import type { Scorer } from '../runtime/types';
import type { AnalysisContext } from './analysis';

/** The context every analysis of one run shares: the scorer and the model's own tokenizer at `maxLength`. */
export function createAnalysisContext(
  scorer: Scorer,
  modelDir: string,
  maxLength: number,
  batchSize?: number,
): Omit<AnalysisContext, 'signal' | 'onPairs' | 'minRelevance'> {
  const tokenizer = loadTokenizer(modelDir);
  return {
    scorer,
    encode: (query, passage) => encodePair(tokenizer, query, passage, { maxLength }),
    tokenId: (token) => tokenizer.vocab.id(token),
    batchSize,
  };
}
