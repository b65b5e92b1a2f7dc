// Word splitting modelled on Lucene's StandardTokenizer (Unicode UAX#29 word boundaries), which is what
// Anserini indexes MS MARCO with. Covered: letters/digits runs, the "mid" punctuation rules that keep
// "don't", "U.S.A", "3.14" and "1,000" whole, underscores joining words, ideographs and hiragana as
// single-character tokens, tokens longer than 255 characters split as Lucene does.
// Not covered (rare in MS MARCO English text): emoji tokens (dropped here, Lucene emits them), the
// Hebrew-letter and regional-indicator rules, and South-East Asian dictionary segmentation.

/** Lucene's StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH. */
export const MAX_TOKEN_LENGTH = 255;

type WordBreakClass =
  | 'letter'
  | 'numeric'
  | 'katakana'
  | 'extendNumLet'
  | 'midLetter'
  | 'midNumLet'
  | 'midNum'
  | 'extend'
  | 'ideographic'
  | 'other';

const MID_LETTER = new Set([':', '\u00B7', '\u0387', '\u05F4', '\u2027', '\uFE13', '\uFE55', '\uFF1A']);
// The apostrophe is Single_Quote in newer Unicode, which behaves like MidNumLet in the rules used here.
const MID_NUM_LET = new Set(['.', "'", '\u2018', '\u2019', '\u2024', '\uFE52', '\uFF07', '\uFF0E']);
const MID_NUM = new Set([
  ',',
  ';',
  '\u037E',
  '\u0589',
  '\u060C',
  '\u066C',
  '\uFE10',
  '\uFE14',
  '\uFE50',
  '\uFE54',
  '\uFF0C',
  '\uFF1B',
]);

const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}]/u;
const KATAKANA = /\p{Script=Katakana}/u;
const LETTER = /[\p{L}\p{Nl}]/u;
const NUMERIC = /\p{Nd}/u;
const EXTEND = /[\p{M}\p{Cf}]/u;
const CONNECTOR = /\p{Pc}/u;

function classify(ch: string): WordBreakClass {
  if (MID_NUM_LET.has(ch)) return 'midNumLet';
  if (MID_LETTER.has(ch)) return 'midLetter';
  if (MID_NUM.has(ch)) return 'midNum';
  if (NUMERIC.test(ch)) return 'numeric';
  if (IDEOGRAPHIC.test(ch)) return 'ideographic';
  if (KATAKANA.test(ch)) return 'katakana';
  if (LETTER.test(ch)) return 'letter';
  if (EXTEND.test(ch)) return 'extend';
  if (CONNECTOR.test(ch)) return 'extendNumLet';
  return 'other';
}

const WORD_START: ReadonlySet<WordBreakClass> = new Set(['letter', 'numeric', 'katakana', 'extendNumLet']);

/** UAX#29 rules WB5, WB8-WB10, WB13, WB13a, WB13b: no break between these neighbours. */
function joinsDirectly(left: WordBreakClass, right: WordBreakClass): boolean {
  const alnum = (c: WordBreakClass): boolean => c === 'letter' || c === 'numeric';
  if (alnum(left) && alnum(right)) return true;
  if (left === 'katakana' && right === 'katakana') return true;
  if (right === 'extendNumLet') return WORD_START.has(left);
  if (left === 'extendNumLet') return alnum(right) || right === 'katakana';
  return false;
}

/** UAX#29 rules WB6/WB7 (letter mid letter) and WB11/WB12 (digit mid digit). */
function joinsAcrossMid(left: WordBreakClass, mid: WordBreakClass, right: WordBreakClass): boolean {
  if (left === 'letter' && right === 'letter') return mid === 'midLetter' || mid === 'midNumLet';
  if (left === 'numeric' && right === 'numeric') return mid === 'midNum' || mid === 'midNumLet';
  return false;
}

/** Splits text into word tokens the way Lucene's StandardTokenizer does (original case kept). */
export function standardTokenize(text: string): string[] {
  const chars = Array.from(text);
  const classes = chars.map(classify);
  const n = chars.length;
  const tokens: string[] = [];
  // Extend/format characters (combining marks, zero-width joiners) belong to the character before them (WB4).
  const skipExtend = (from: number): number => {
    let k = from;
    while (k < n && classes[k] === 'extend') k++;
    return k;
  };
  let i = 0;
  while (i < n) {
    const cls = classes[i];
    if (cls === 'ideographic') {
      const end = skipExtend(i + 1);
      tokens.push(chars.slice(i, end).join(''));
      i = end;
      continue;
    }
    if (!WORD_START.has(cls)) {
      i++;
      continue;
    }
    const start = i;
    let last: WordBreakClass = cls;
    let hasWordChar = cls !== 'extendNumLet';
    let j = skipExtend(i + 1);
    while (j < n) {
      const next = classes[j];
      if (joinsDirectly(last, next)) {
        last = next;
        if (next !== 'extendNumLet') hasWordChar = true;
        j = skipExtend(j + 1);
        continue;
      }
      const afterMid = skipExtend(j + 1);
      if (afterMid < n && joinsAcrossMid(last, next, classes[afterMid])) {
        last = classes[afterMid];
        j = skipExtend(afterMid + 1);
        continue;
      }
      break;
    }
    if (hasWordChar) pushSplitAtMaxLength(tokens, chars.slice(start, j));
    i = j;
  }
  return tokens;
}

function pushSplitAtMaxLength(tokens: string[], tokenChars: string[]): void {
  // Lucene counts UTF-16 units; code points are the same for every non-astral character.
  for (let k = 0; k < tokenChars.length; k += MAX_TOKEN_LENGTH) {
    tokens.push(tokenChars.slice(k, k + MAX_TOKEN_LENGTH).join(''));
  }
}
