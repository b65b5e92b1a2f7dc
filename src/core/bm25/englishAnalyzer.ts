import { stemmer } from 'stemmer';
import { standardTokenize } from './standardTokenizer';

/**
 * Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (33 words), the stop list Anserini's
 * DefaultEnglishAnalyzer uses for MS MARCO.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
]);

const APOSTROPHES = new Set(["'", '\u2019', '\uFF07']);

/** Lucene's EnglishPossessiveFilter: drops a trailing 's / 'S (also with the typographic apostrophes). */
export function removePossessive(token: string): string {
  const n = token.length;
  if (n >= 2 && APOSTROPHES.has(token[n - 2]) && (token[n - 1] === 's' || token[n - 1] === 'S')) {
    return token.slice(0, n - 2);
  }
  return token;
}

/**
 * Anserini's default English analysis chain: StandardTokenizer, EnglishPossessiveFilter, LowerCaseFilter,
 * StopFilter (33 words), PorterStemFilter. Returns the indexed terms in order.
 */
export function analyzeEnglish(text: string): string[] {
  const terms: string[] = [];
  for (const raw of standardTokenize(text)) {
    const lower = removePossessive(raw).toLowerCase();
    if (lower.length === 0 || ENGLISH_STOP_WORDS.has(lower)) continue;
    terms.push(stemmer(lower));
  }
  return terms;
}
