// Character classes exactly as BERT's tokenizers define them (HF BertNormalizer / BertPreTokenizer).

const OTHER = /^\p{C}$/u; // Cc, Cf, Cs, Co, Cn
const WHITE_SPACE = /^\p{White_Space}$/u;
const UNICODE_PUNCTUATION = /^\p{P}$/u;
export const NONSPACING_MARKS = /\p{Mn}/gu;

/** Tab, newline and carriage return are Cc but BERT treats them as whitespace, not as control characters. */
export function isBertWhitespace(cp: number): boolean {
  return (
    cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || WHITE_SPACE.test(String.fromCodePoint(cp))
  );
}

/** Characters that clean_text deletes: every category C* character except \t \n \r (which become spaces). */
export function isBertControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return OTHER.test(String.fromCodePoint(cp));
}

/** BERT's punctuation: all non-alphanumeric printable ASCII (33-47, 58-64, 91-96, 123-126) plus Unicode P*. */
export function isBertPunctuation(cp: number): boolean {
  if (
    (cp >= 33 && cp <= 47) ||
    (cp >= 58 && cp <= 64) ||
    (cp >= 91 && cp <= 96) ||
    (cp >= 123 && cp <= 126)
  ) {
    return true;
  }
  return UNICODE_PUNCTUATION.test(String.fromCodePoint(cp));
}

/**
 * The CJK Unified Ideographs blocks that BERT isolates as single-character words (Hangul, kana and
 * CJK punctuation are deliberately not included, as in the original BERT code).
 */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
