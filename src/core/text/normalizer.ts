import {
  NONSPACING_MARKS,
  isBertControl,
  isBertPunctuation,
  isBertWhitespace,
  isCjkIdeograph,
} from './unicode';

/** The BertNormalizer switches, resolved (strip_accents = null already replaced by the lowercase flag). */
export interface NormalizerOptions {
  /** Drop NUL, U+FFFD and control/format characters; turn every whitespace character into a space. */
  readonly cleanText: boolean;
  /** Put spaces around CJK ideographs so that each one is a word of its own. */
  readonly handleChineseChars: boolean;
  readonly lowercase: boolean;
  /** NFD, then delete nonspacing marks (Mn): "é" -> "e". */
  readonly stripAccents: boolean;
}

/** What becomes of one normalised code point during pre-tokenisation. */
export const PART_WORD = 0;
export const PART_PUNCTUATION = 1;
export const PART_SPACE = 2;

/**
 * What one ORIGINAL code point turns into. Normalisation is done one code point at a time (as HF's
 * fast tokenizer does; see README.md for the one place where the slow one differs), so every
 * normalised character can point back at the original character it came from.
 */
export interface CharEntry {
  /** clean_text deletes the original character (it neither joins nor splits words). */
  readonly dropped: boolean;
  /** A CJK ideograph: a word on its own. */
  readonly isolated: boolean;
  /** Normalised code points, each a string of 1 or 2 UTF-16 units. */
  readonly parts: readonly string[];
  readonly partKinds: readonly number[];
}

const DROPPED: CharEntry = { dropped: true, isolated: false, parts: [], partKinds: [] };
const SPACE: CharEntry = { dropped: false, isolated: false, parts: [' '], partKinds: [PART_SPACE] };

export class BertCharNormalizer {
  private readonly ascii: CharEntry[] = [];
  private readonly cache = new Map<number, CharEntry>();

  constructor(readonly options: NormalizerOptions) {
    for (let cp = 0; cp < 128; cp++) this.ascii.push(this.compute(cp));
  }

  entry(cp: number): CharEntry {
    if (cp < 128) return this.ascii[cp]!;
    let e = this.cache.get(cp);
    if (e === undefined) {
      e = this.compute(cp);
      this.cache.set(cp, e);
    }
    return e;
  }

  /** The whole normalised text as BertNormalizer would output it (CJK ideographs padded with spaces). */
  normalize(text: string): string {
    let out = '';
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i)!;
      const e = this.entry(cp);
      const joined = e.parts.join('');
      out += e.isolated ? ` ${joined} ` : joined;
      i += cp > 0xffff ? 2 : 1;
    }
    return out;
  }

  private compute(cp: number): CharEntry {
    const { cleanText, handleChineseChars, lowercase, stripAccents } = this.options;
    if (cleanText && (cp === 0 || cp === 0xfffd || isBertControl(cp))) return DROPPED;
    if (isBertWhitespace(cp)) return SPACE;
    let s = String.fromCodePoint(cp);
    // Same order as BertNormalizer: accents are stripped before lower-casing.
    if (stripAccents) s = s.normalize('NFD').replace(NONSPACING_MARKS, '');
    if (lowercase) s = s.toLowerCase();
    const parts = Array.from(s);
    const partKinds = parts.map((p) => {
      const c = p.codePointAt(0)!;
      if (isBertWhitespace(c)) return PART_SPACE;
      return isBertPunctuation(c) ? PART_PUNCTUATION : PART_WORD;
    });
    return { dropped: false, isolated: handleChineseChars && isCjkIdeograph(cp), parts, partKinds };
  }
}
