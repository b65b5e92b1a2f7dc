/**
 * Zhan et al.'s document stop words: the 50 WordPieces with the highest document frequency over the 8.8M
 * MS MARCO passages (their data/wordpiece.df.json), after dropping punctuation and numbers. Kept as a
 * constant so the probing analysis needs no 460 KB file at run time; `stopWordsFromDocumentFrequencies`
 * derives the same list from the file (a unit test checks they agree).
 */
export const ZHAN_STOP_WORDS: readonly string[] = [
  'the', 'of', 'and', 'a', 'to', 'in', 'is', 'for', 'that', 'or',
  'on', 'with', 'are', 'it', 'as', '##s', 'you', 'by', 'from', 'be',
  'an', 'can', 'this', 's', 'at', 'your', 'have', 'not', 'if', 'one',
  'which', 'was', 'will', 'more', 'has', 'but', 'all', 'also', 'when', 'other',
  'most', '##a', 'may', 'they', 'about', 'i', 'there', 'up', 'than', '##as',
]; // prettier-ignore

/** The key in wordpiece.df.json that holds the number of documents, not a WordPiece. */
const DOCUMENT_COUNT_KEY = 'All_Doc_Num';

/** Zhan et al.'s is_num: every character an ASCII digit. */
function isNumber(piece: string): boolean {
  return /^[0-9]+$/.test(piece);
}

/** Every character punctuation (ASCII symbols count, as in BERT's _is_punctuation). */
function isPunctuation(piece: string): boolean {
  return /^[\p{P}!-/:-@[-`{-~]+$/u.test(piece);
}

/** The `count` most frequent WordPieces by document frequency, punctuation and numbers excluded. */
export function stopWordsFromDocumentFrequencies(
  frequencies: Readonly<Record<string, number>>,
  count = 50,
): string[] {
  return Object.entries(frequencies)
    .filter(([piece]) => piece !== DOCUMENT_COUNT_KEY && !isPunctuation(piece) && !isNumber(piece))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, count)
    .map(([piece]) => piece);
}
