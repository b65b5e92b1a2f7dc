import { encodePair, loadTokenizer, type EncodedPair, type PairOptions } from '../text';

/** Encodes (query, passage) texts with the checkpoint's own tokenizer (vocab.txt or tokenizer.json). */
export type PairEncoder = (query: string, passage: string) => EncodedPair;

export function loadPairEncoder(checkpointDir: string, options: PairOptions = {}): PairEncoder {
  const tokenizer = loadTokenizer(checkpointDir);
  return (query, passage) => encodePair(tokenizer, query, passage, options);
}
