export { standardTokenize, MAX_TOKEN_LENGTH } from './standardTokenizer';
export { analyzeEnglish, removePossessive, ENGLISH_STOP_WORDS } from './englishAnalyzer';
export { intToByte4, byte4ToInt, luceneDocLength, NUM_FREE_VALUES } from './smallFloat';
export { Bm25Index, MSMARCO_BM25 } from './bm25Index';
export type { Bm25Options, Bm25Document, Bm25Hit } from './bm25Index';
export { formatMsmarcoRun, formatTrecRun } from './runFormats';
