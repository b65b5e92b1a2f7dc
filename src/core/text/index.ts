// BERT WordPiece tokenisation with offsets into the original text, and query/passage pair encoding.
export type { EncodedPair, EncodedToken, PairEncodingOptions, Segment, TokenKind } from './types';
export { Vocabulary } from './vocabulary';
export {
  WordPieceTokenizer,
  resolveTokenizerConfig,
  type TokenizerConfig,
  type TokenizerOptions,
  type WordPieceToken,
} from './tokenizer';
export { optionsFromTokenizerConfig, tokenizerFromTokenizerJson, tokenizerFromVocabText } from './hf-formats';
export { loadTokenizer, loadTokenizerFiles, TOKENIZER_FILES, type LoadedTokenizer } from './load';
export {
  DEFAULT_MAX_LENGTH,
  DEFAULT_MAX_QUERY_LENGTH,
  encodePair,
  encodeTokenizedPair,
  isPassageToken,
  isQueryToken,
  realLength,
  type PairOptions,
} from './pair';
export { batchIndicesByLength, encodePairs, packBatch, type PackedBatch, type QueryPassage } from './batch';
