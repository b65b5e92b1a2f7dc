// Hand-derived expectations against the real bert-base-uncased vocab: each expected id is looked up
// independently (line number in vocab.txt), each expected split is BERT's rules applied by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Vocabulary, WordPieceTokenizer, type WordPieceToken } from '../../../src/core/text';
import { DL19_COLLECTION, DL19_QUERIES, HEAD_COLLECTION, bertUncased, lineId, readTsv } from './helpers';

const tok = bertUncased();
const texts = (tokens: WordPieceToken[]): string[] => tokens.map((t) => t.text);
const spans = (tokens: WordPieceToken[]): [number, number][] => tokens.map((t) => [t.start, t.end]);

/** Tokens, ids (checked against vocab line numbers) and offsets in one go. */
function expectTokens(text: string, expected: string[], offsets?: [number, number][]): WordPieceToken[] {
  const tokens = tok.tokenize(text);
  assert.deepEqual(texts(tokens), expected, JSON.stringify(text));
  assert.deepEqual(
    tokens.map((t) => t.id),
    expected.map(lineId),
  );
  if (offsets) assert.deepEqual(spans(tokens), offsets);
  return tokens;
}

describe('vocabulary anchors', () => {
  it('has the ids every BERT checkpoint relies on', () => {
    assert.equal(tok.vocabSize, 30522);
    assert.equal(tok.padId, 0);
    assert.equal(tok.unkId, 100);
    assert.equal(tok.clsId, 101);
    assert.equal(tok.sepId, 102);
    assert.equal(tok.maskId, 103);
    assert.equal(tok.tokenToId('.'), 1012);
    assert.equal(tok.idToToken(1012), '.');
    assert.equal(tok.tokenToId('[unused0]'), 1);
    assert.equal(tok.tokenToId('not-a-token'), undefined);
    assert.equal(tok.idToToken(30522), undefined);
  });
});

describe('basic tokenisation (uncased)', () => {
  it('lower-cases and strips accents, offsets cover the accented originals', () => {
    const text = 'Café naïve résumé';
    const tokens = expectTokens(
      text,
      ['cafe', 'naive', 'resume'],
      [
        [0, 4],
        [5, 10],
        [11, 17],
      ],
    );
    assert.deepEqual(
      tokens.map((t) => text.slice(t.start, t.end)),
      ['Café', 'naïve', 'résumé'],
    );
  });

  it('accents written as combining marks (NFD input) map back over the marks', () => {
    // "e" + U+0301 + "cole": the mark is dropped, the word still spans all 6 code units.
    expectTokens('e\u0301cole', ['ecole'], [[0, 6]]);
  });

  it('splits every CJK ideograph into its own word, other scripts stay whole', () => {
    expectTokens(
      '北京大学 is in 北京',
      ['北', '京', '大', '学', 'is', 'in', '北', '京'],
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [5, 7],
        [8, 10],
        [11, 12],
        [12, 13],
      ],
    );
    // Hiragana/katakana are not "Chinese characters": のは stays one word and is WordPieced.
    expectTokens('東京の', ['東', '京', 'の']);
  });

  it('emoji and other astral characters count as 2 UTF-16 units and make their word [UNK]', () => {
    // U+FE0F (variation selector) is a nonspacing mark: stripped, so "❤️" is the [UNK] of "❤" alone.
    expectTokens(
      'I ❤️ emoji 😀👍🏽 and hello😀',
      ['i', '[UNK]', 'em', '##oj', '##i', '[UNK]', 'and', '[UNK]'],
      [
        [0, 1],
        [2, 3],
        [5, 7],
        [7, 9],
        [9, 10],
        [11, 17],
        [18, 21],
        [22, 29],
      ],
    );
    expectTokens(
      '𝔘𝔫𝔦 x',
      ['[UNK]', 'x'],
      [
        [0, 6],
        [7, 8],
      ],
    );
  });

  it('drops control, format (zero-width) and U+FFFD characters without splitting the word', () => {
    expectTokens('ab\u0000c', ['abc'], [[0, 4]]);
    // One word "zerowidth": greedy gives zero + ##wi + ##dt + ##h (no ##width/##widt/##wid/##dth in the vocab).
    expectTokens(
      'zero\u200bwidth',
      ['zero', '##wi', '##dt', '##h'],
      [
        [0, 4],
        [5, 7],
        [7, 9],
        [9, 10],
      ],
    );
    expectTokens('bo\ufeffok\ufffd\u0007s', ['books'], [[0, 8]]);
    assert.deepEqual(tok.tokenize('\u200b\u200d\u0000'), []);
    // A lone surrogate (only possible in JS strings) is category Cs: dropped like any control character.
    expectTokens('a\ud800b \udc00', ['ab'], [[0, 3]]);
  });

  it('treats tabs, newlines, NBSP, ideographic and line separators as spaces', () => {
    expectTokens('and\tthe\nthe\r\nis\u00a0of\u3000in\u2028to\u2029it', [
      'and',
      'the',
      'the',
      'is',
      'of',
      'in',
      'to',
      'it',
    ]);
    assert.deepEqual(tok.tokenize(' \t\n '), []);
    assert.deepEqual(tok.tokenize(''), []);
  });

  it('splits on ASCII and Unicode punctuation, keeping each mark as its own token', () => {
    expectTokens(
      '3.14',
      ['3', '.', '14'],
      [
        [0, 1],
        [1, 2],
        [2, 4],
      ],
    );
    expectTokens('U.S.', ['u', '.', 's', '.']);
    expectTokens('e.g.', ['e', '.', 'g', '.']);
    expectTokens("don't", ['don', "'", 't']);
    expectTokens('well-known', ['well', '-', 'known']);
    expectTokens('\u2018hi\u2019 \u2014 \u201cyes\u201d', ['‘', 'hi', '’', '—', '“', 'yes', '”']);
    // $ ^ ` are ASCII "punctuation" for BERT although Unicode calls them symbols.
    expectTokens('$5^2`', ['$', '5', '^', '2', '`']);
    expectTokens('https://www.example.com/a?b=c', [
      'https',
      ':',
      '/',
      '/',
      'www',
      '.',
      'example',
      '.',
      'com',
      '/',
      'a',
      '?',
      'b',
      '=',
      'c',
    ]);
  });

  it('WordPieces greedily, longest match first, with ## continuations', () => {
    expectTokens(
      'unaffable',
      ['una', '##ffa', '##ble'],
      [
        [0, 3],
        [3, 6],
        [6, 9],
      ],
    );
    expectTokens('Supercalifragilistic', ['super', '##cal', '##if', '##rag', '##ilis', '##tic']);
  });

  it('turns words longer than 100 characters into one [UNK]; 100 is still split', () => {
    const hundred = tok.tokenize('a'.repeat(100));
    assert.ok(hundred.length > 1 && !hundred.some((t) => t.id === tok.unkId));
    assert.deepEqual(hundred[0], { text: 'aaa', id: lineId('aaa'), start: 0, end: 3 });
    expectTokens(
      'a'.repeat(101) + ' ok',
      ['[UNK]', 'ok'],
      [
        [0, 101],
        [102, 104],
      ],
    );
  });

  it('makes a word [UNK] when some part of it has no WordPiece (unknown scripts)', () => {
    expectTokens(
      'ᚠᛇᚻ runes',
      ['[UNK]', 'runes'],
      [
        [0, 3],
        [4, 9],
      ],
    );
    // Thai vowel signs are nonspacing marks (stripped); the consonants are not in the vocab.
    expectTokens('ภาษาไทย', ['[UNK]'], [[0, 7]]);
  });

  it('decomposes Hangul syllables into jamo; all pieces of one syllable share its span', () => {
    const tokens = expectTokens('한국', ['ᄒ', '##ᅡ', '##ᆫ', '##ᄀ', '##ᅮ', '##ᆨ']);
    assert.deepEqual(spans(tokens), [
      [0, 1],
      [0, 1],
      [0, 1],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('maps special characters by their full lower-case + NFD form', () => {
    // İ -> I (dot stripped) -> i; K (Kelvin sign) -> K -> k; Å (Angstrom sign) -> A + ring -> a.
    expectTokens(
      'İ K Å',
      ['i', 'k', 'a'],
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
  });

  it('keeps the special tokens whole when they appear literally (HF added tokens), case-sensitively', () => {
    expectTokens(
      'a[SEP]b [CLS] [MASK] [PAD] [UNK]',
      ['a', '[SEP]', 'b', '[CLS]', '[MASK]', '[PAD]', '[UNK]'],
      [
        [0, 1],
        [1, 6],
        [6, 7],
        [8, 13],
        [14, 20],
        [21, 26],
        [27, 32],
      ],
    );
    expectTokens('[cls]', ['[', 'cl', '##s', ']']);
    // [unused0] is in the vocab but not an added token: it is tokenised like text.
    expectTokens('[unused0]', ['[', 'unused', '##0', ']']);
    const splitting = new WordPieceTokenizer(tok.vocab, { splitSpecialTokens: true });
    assert.deepEqual(texts(splitting.tokenize('[SEP]')), ['[', 'sep', ']']);
  });

  it('normalize() shows the text the way the WordPiece step sees it', () => {
    assert.equal(tok.normalize('Café\u200b北京\tX'), 'cafe 北  京  x');
  });
});

describe('other settings', () => {
  it('cased: keeps case and accents unless strip_accents is set', () => {
    const cased = new WordPieceTokenizer(tok.vocab, { lowercase: false });
    assert.equal(cased.config.stripAccents, false);
    assert.deepEqual(texts(cased.tokenize('The Café')), ['[UNK]', '[UNK]']);
    const stripped = new WordPieceTokenizer(tok.vocab, { lowercase: false, stripAccents: true });
    assert.deepEqual(texts(stripped.tokenize('the Café')), ['the', '[UNK]']);
    assert.deepEqual(texts(stripped.tokenize('the cafés')), ['the', 'cafes']);
    // uncased but accents kept: the uncased vocab has no "é" (nor "##é") at all, so the word is lost.
    const keep = new WordPieceTokenizer(tok.vocab, { stripAccents: false });
    assert.deepEqual(texts(keep.tokenize('Café cafe')), ['[UNK]', 'cafe']);
  });

  it('without CJK handling a run of ideographs is one word', () => {
    const noCjk = new WordPieceTokenizer(tok.vocab, { handleChineseChars: false });
    assert.deepEqual(texts(noCjk.tokenize('北京')), ['北', '##京']);
  });

  it('counts word length in code points, not UTF-16 units (as HF does)', () => {
    const vocab = Vocabulary.fromVocabText('[UNK]\n[CLS]\n[SEP]\n😀\n##😀\n', 'emoji-vocab.txt');
    const t = new WordPieceTokenizer(vocab, { maxInputCharsPerWord: 3 });
    const three = t.tokenize('😀😀😀'); // 3 code points, 6 UTF-16 units: still split
    assert.deepEqual(texts(three), ['😀', '##😀', '##😀']);
    assert.deepEqual(spans(three), [
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
    assert.deepEqual(texts(t.tokenize('😀😀😀😀')), ['[UNK]']);
  });
});

/** Words of the normalised text, split the way BERT's pre-tokenizer does (written independently here). */
function independentWords(normalized: string): string[] {
  const punct = /([\p{P}!-/:-@[-`{-~])/u;
  return normalized
    .split(/\s+/u)
    .flatMap((w) => w.split(punct))
    .filter((w) => w !== '');
}

describe('offsets, ids and detokenisation on real MS MARCO text', () => {
  const passages = [
    ...readTsv(HEAD_COLLECTION),
    ...readTsv(DL19_COLLECTION).slice(0, 500),
    ...readTsv(DL19_QUERIES),
  ].map(([, text]) => text);

  it('uses several hundred real passages with a fair share of accents and non-ASCII', () => {
    assert.ok(passages.length >= 600);
    assert.ok(passages.filter((p) => /[^ -~]/.test(p)).length >= 20);
  });

  it("slices the original at each token's offsets into text that normalises to the token", () => {
    let checked = 0;
    for (const text of passages) {
      const tokens = tok.tokenize(text);
      let previousStart = -1;
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        assert.ok(0 <= t.start && t.start < t.end && t.end <= text.length, `bounds of ${t.text} in ${text}`);
        assert.ok(t.start >= previousStart, 'offsets never go backwards');
        previousStart = t.start;
        const original = text.slice(t.start, t.end);
        const normalized = tok.normalize(original).trim();
        if (t.id === tok.unkId) {
          assert.ok(normalized.length > 0 && !/\s/u.test(normalized));
        } else {
          assert.equal(normalized, t.text.replace(/^##/, ''), `token ${i} of ${JSON.stringify(text)}`);
        }
        checked++;
      }
    }
    assert.ok(checked > 30000, `checked ${checked} tokens`);
  });

  it('round-trips ids and tokens', () => {
    for (const text of passages.slice(0, 200)) {
      for (const t of tok.tokenize(text)) {
        assert.equal(tok.idToToken(t.id), t.text);
        assert.equal(tok.tokenToId(t.text), t.id);
      }
    }
  });

  it('joining ## pieces gives back the normalised words ([UNK] stands for a whole word)', () => {
    for (const text of passages) {
      const tokens = tok.tokenize(text);
      const words: string[] = [];
      for (const t of tokens) {
        if (t.text.startsWith('##')) words[words.length - 1] += t.text.slice(2);
        else words.push(t.text);
      }
      const expected = independentWords(tok.normalize(text));
      assert.equal(words.length, expected.length, text);
      words.forEach((w, i) => {
        if (w !== '[UNK]') assert.equal(w, expected[i], text);
      });
      assert.equal(tok.decode(tokens.map((t) => t.id)), words.join(' '));
    }
  });
});
