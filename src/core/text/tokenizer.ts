import { BertCharNormalizer, PART_PUNCTUATION, PART_SPACE, type NormalizerOptions } from './normalizer';
import { Vocabulary } from './vocabulary';

/** One WordPiece of a text, with half-open UTF-16 offsets [start, end) into the ORIGINAL text. */
export interface WordPieceToken {
  readonly text: string;
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

export interface TokenizerOptions {
  /** Lower-case the text (bert-base-uncased: true). Default true. */
  readonly lowercase?: boolean;
  /** NFD + drop nonspacing marks. Default (null/undefined): same as `lowercase`, as in HF. */
  readonly stripAccents?: boolean | null;
  /** Default true. */
  readonly cleanText?: boolean;
  /** Default true. */
  readonly handleChineseChars?: boolean;
  readonly unkToken?: string;
  readonly clsToken?: string;
  readonly sepToken?: string;
  readonly padToken?: string;
  readonly maskToken?: string;
  /** Default "##". */
  readonly continuingSubwordPrefix?: string;
  /** Words with more code points than this become [UNK]. Default 100. */
  readonly maxInputCharsPerWord?: number;
  /**
   * Strings kept whole when they appear literally (case-sensitive) in the text, and mapped straight to
   * their id, as HF does for its added special tokens. Default: those of [PAD] [UNK] [CLS] [SEP] [MASK]
   * that the vocabulary has. Pass [] (or set splitSpecialTokens) to tokenise them like any text.
   */
  readonly neverSplit?: readonly string[];
  /** HF's split_special_tokens: treat literal "[SEP]" etc. as ordinary text. Default false. */
  readonly splitSpecialTokens?: boolean;
  /** Longest input the model accepts (tokenizer_config.json model_max_length), for callers; default 512. */
  readonly modelMaxLength?: number;
}

export interface TokenizerConfig extends NormalizerOptions {
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  readonly padToken: string;
  readonly maskToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  readonly neverSplit: readonly string[];
  readonly modelMaxLength: number;
}

export function resolveTokenizerConfig(vocab: Vocabulary, options: TokenizerOptions = {}): TokenizerConfig {
  const lowercase = options.lowercase ?? true;
  const specials = {
    padToken: options.padToken ?? '[PAD]',
    unkToken: options.unkToken ?? '[UNK]',
    clsToken: options.clsToken ?? '[CLS]',
    sepToken: options.sepToken ?? '[SEP]',
    maskToken: options.maskToken ?? '[MASK]',
  };
  const neverSplit = options.splitSpecialTokens
    ? []
    : (options.neverSplit ?? Object.values(specials).filter((t) => vocab.id(t) !== undefined));
  const maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
  if (!Number.isInteger(maxInputCharsPerWord) || maxInputCharsPerWord < 1) {
    throw new Error(`maxInputCharsPerWord must be a positive integer, got ${String(maxInputCharsPerWord)}`);
  }
  return {
    cleanText: options.cleanText ?? true,
    handleChineseChars: options.handleChineseChars ?? true,
    lowercase,
    stripAccents: options.stripAccents ?? lowercase,
    ...specials,
    continuingSubwordPrefix: options.continuingSubwordPrefix ?? '##',
    maxInputCharsPerWord,
    neverSplit,
    modelMaxLength: options.modelMaxLength ?? 512,
  };
}

/**
 * BERT's tokenizer (HF BertTokenizerFast semantics): BertNormalizer, BertPreTokenizer (split on
 * whitespace and punctuation), WordPiece greedy longest-match-first. Every piece keeps the span of the
 * original characters it came from.
 */
export class WordPieceTokenizer {
  readonly config: TokenizerConfig;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  /** undefined when the vocabulary has no padding token (padding then fails with a clear error). */
  readonly padId: number | undefined;
  readonly maskId: number | undefined;

  private readonly normalizer: BertCharNormalizer;
  /** Word-initial pieces. */
  private readonly starters = new Map<string, number>();
  /** Continuation pieces, keyed WITHOUT the "##" prefix. */
  private readonly continuations = new Map<string, number>();
  private readonly longestStarter: number;
  private readonly longestContinuation: number;
  private readonly neverSplit: readonly { text: string; id: number }[];

  constructor(
    readonly vocab: Vocabulary,
    options: TokenizerOptions = {},
  ) {
    this.config = resolveTokenizerConfig(vocab, options);
    const c = this.config;
    this.unkId = vocab.requireId(c.unkToken, 'unknown-word');
    this.clsId = vocab.requireId(c.clsToken, 'classifier');
    this.sepId = vocab.requireId(c.sepToken, 'separator');
    this.padId = vocab.id(c.padToken);
    this.maskId = vocab.id(c.maskToken);
    this.normalizer = new BertCharNormalizer(c);
    const prefix = c.continuingSubwordPrefix;
    let longestStarter = 0;
    let longestContinuation = 0;
    for (const [token, id] of vocab.entries()) {
      // Word starts are looked up in the whole vocabulary, as HF does.
      this.starters.set(token, id);
      longestStarter = Math.max(longestStarter, token.length);
      if (token.startsWith(prefix)) {
        const rest = token.slice(prefix.length);
        this.continuations.set(rest, id);
        longestContinuation = Math.max(longestContinuation, rest.length);
      }
    }
    this.longestStarter = longestStarter;
    this.longestContinuation = longestContinuation;
    this.neverSplit = c.neverSplit
      .filter((t) => t.length > 0)
      .map((t) => ({ text: t, id: vocab.requireId(t, 'never-split') }))
      // Longest first so that, at one position, the longest literal wins (as HF's leftmost-longest match).
      .sort((a, b) => b.text.length - a.text.length);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.id(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab.token(id);
  }

  /** The text as BertNormalizer outputs it (CJK ideographs padded with spaces); handy for comparisons. */
  normalize(text: string): string {
    return this.normalizer.normalize(text);
  }

  tokenize(text: string): WordPieceToken[] {
    const out: WordPieceToken[] = [];
    let pos = 0;
    while (pos < text.length) {
      const hit = this.nextNeverSplit(text, pos);
      if (hit === undefined) {
        this.tokenizeSpan(text, pos, text.length, out);
        break;
      }
      this.tokenizeSpan(text, pos, hit.at, out);
      out.push({ text: hit.text, id: hit.id, start: hit.at, end: hit.at + hit.text.length });
      pos = hit.at + hit.text.length;
    }
    return out;
  }

  encode(text: string): number[] {
    return this.tokenize(text).map((t) => t.id);
  }

  /** HF's convert_tokens_to_string: pieces joined by spaces, " ##" glued back. */
  detokenize(tokens: readonly string[]): string {
    return tokens.join(' ').split(` ${this.config.continuingSubwordPrefix}`).join('').trim();
  }

  decode(ids: readonly number[]): string {
    return this.detokenize(ids.map((id) => this.vocab.token(id) ?? this.config.unkToken));
  }

  private nextNeverSplit(text: string, from: number): { at: number; text: string; id: number } | undefined {
    let best: { at: number; text: string; id: number } | undefined;
    for (const s of this.neverSplit) {
      const at = text.indexOf(s.text, from);
      if (at >= 0 && (best === undefined || at < best.at)) best = { at, text: s.text, id: s.id };
    }
    return best;
  }

  /** Normalise, pre-tokenise and WordPiece text[from, to), appending to `out`. */
  private tokenizeSpan(text: string, from: number, to: number, out: WordPieceToken[]): void {
    let word = '';
    // Original span of each UTF-16 unit of `word`.
    const starts: number[] = [];
    const ends: number[] = [];
    const flush = (): void => {
      if (word.length > 0) this.wordPiece(word, starts, ends, out);
      word = '';
      starts.length = 0;
      ends.length = 0;
    };
    for (let i = from; i < to;) {
      const cp = text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const entry = this.normalizer.entry(cp);
      if (!entry.dropped) {
        if (entry.isolated) flush();
        for (let k = 0; k < entry.parts.length; k++) {
          const kind = entry.partKinds[k];
          if (kind === PART_SPACE) {
            flush();
            continue;
          }
          if (kind === PART_PUNCTUATION) flush();
          const part = entry.parts[k]!;
          word += part;
          for (let u = 0; u < part.length; u++) {
            starts.push(i);
            ends.push(i + width);
          }
          if (kind === PART_PUNCTUATION) flush();
        }
        if (entry.isolated) flush();
      }
      i += width;
    }
    flush();
  }

  /** Greedy longest-match-first over code points; a word with no full split becomes one [UNK]. */
  private wordPiece(word: string, starts: number[], ends: number[], out: WordPieceToken[]): void {
    const c = this.config;
    const last = word.length - 1;
    const whole = this.starters.get(word);
    if (whole !== undefined && word.length <= c.maxInputCharsPerWord) {
      out.push({ text: word, id: whole, start: starts[0]!, end: ends[last]! });
      return;
    }
    const codePoints = countCodePoints(word);
    if (codePoints > c.maxInputCharsPerWord) {
      out.push({ text: c.unkToken, id: this.unkId, start: starts[0]!, end: ends[last]! });
      return;
    }
    const firstPiece = out.length;
    let begin = 0;
    while (begin < word.length) {
      const table = begin === 0 ? this.starters : this.continuations;
      const longest = begin === 0 ? this.longestStarter : this.longestContinuation;
      let end = Math.min(word.length, begin + longest);
      if (end < word.length && isPairAt(word, end - 1)) end -= 1;
      let id: number | undefined;
      while (end > begin) {
        id = table.get(word.slice(begin, end));
        if (id !== undefined) break;
        end -= end - 2 >= begin && isPairAt(word, end - 2) ? 2 : 1;
      }
      if (id === undefined) {
        out.length = firstPiece;
        out.push({ text: c.unkToken, id: this.unkId, start: starts[0]!, end: ends[last]! });
        return;
      }
      const piece = begin === 0 ? word.slice(0, end) : c.continuingSubwordPrefix + word.slice(begin, end);
      out.push({ text: piece, id, start: starts[begin]!, end: ends[end - 1]! });
      begin = end;
    }
  }
}

/** A surrogate pair starts at s[i] (one astral code point in two UTF-16 units). */
function isPairAt(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  const lo = s.charCodeAt(i + 1);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i += isPairAt(s, i) ? 2 : 1) n++;
  return n;
}
