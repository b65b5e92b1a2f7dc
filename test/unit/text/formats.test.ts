// Loading: vocab.txt, tokenizer.json (HF fast format), tokenizer_config.json, checkpoint directories,
// and the errors for malformed input.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Vocabulary,
  loadTokenizer,
  loadTokenizerFiles,
  optionsFromTokenizerConfig,
  tokenizerFromTokenizerJson,
  tokenizerFromVocabText,
} from '../../../src/core/text';
import { DL19_COLLECTION, bertUncased, bertVocabText, readTsv } from './helpers';

const SPECIALS: [string, number][] = [
  ['[PAD]', 0],
  ['[UNK]', 100],
  ['[CLS]', 101],
  ['[SEP]', 102],
  ['[MASK]', 103],
];

/** A tokenizer.json in HF's fast format, written here from the real vocab.txt (no download). */
function tokenizerJsonFromVocab(normalizer: unknown): string {
  const vocab: Record<string, number> = {};
  bertVocabText()
    .split('\n')
    .filter((_, i, all) => i < all.length - 1 || all[i] !== '')
    .forEach((token, id) => (vocab[token] = id));
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  });
}

const BERT_NORMALIZER = {
  type: 'BertNormalizer',
  clean_text: true,
  handle_chinese_chars: true,
  strip_accents: null,
  lowercase: true,
};

const HARD_TEXTS = [
  'Café naïve résumé',
  '北京大学 is in 北京',
  'hello😀 a\u200bb [SEP] x',
  'a'.repeat(101),
  '3.14 U.S. e.g.',
];

describe('tokenizer.json', () => {
  const fromVocab = bertUncased();
  const passages = readTsv(DL19_COLLECTION)
    .slice(0, 300)
    .map(([, t]) => t);

  for (const [label, normalizer] of [
    ['BertNormalizer', BERT_NORMALIZER],
    ['BertNormalizer inside a Sequence', { type: 'Sequence', normalizers: [BERT_NORMALIZER] }],
  ] as const) {
    it(`built from the vocab with ${label}, tokenises exactly like vocab.txt`, () => {
      const fromJson = tokenizerFromTokenizerJson(
        tokenizerJsonFromVocab(normalizer),
        'generated tokenizer.json',
      );
      assert.equal(fromJson.vocabSize, 30522);
      assert.deepEqual(fromJson.config, fromVocab.config);
      for (const text of [...HARD_TEXTS, ...passages]) {
        assert.deepEqual(fromJson.tokenize(text), fromVocab.tokenize(text), text);
      }
    });
  }

  it('reads lowercase / strip_accents / handle_chinese_chars / clean_text from the normalizer', () => {
    const t = tokenizerFromTokenizerJson(
      tokenizerJsonFromVocab({
        ...BERT_NORMALIZER,
        lowercase: false,
        handle_chinese_chars: false,
        clean_text: false,
      }),
    );
    assert.equal(t.config.lowercase, false);
    assert.equal(t.config.stripAccents, false);
    assert.equal(t.config.handleChineseChars, false);
    assert.equal(t.config.cleanText, false);
    const lowerOnly = tokenizerFromTokenizerJson(
      tokenizerJsonFromVocab({ type: 'Sequence', normalizers: [{ type: 'Lowercase' }] }),
    );
    assert.equal(lowerOnly.config.lowercase, true);
    assert.equal(lowerOnly.config.stripAccents, false);
  });

  it('lets tokenizer_config.json flags override the normalizer (as BertTokenizerFast does)', () => {
    const overrides = optionsFromTokenizerConfig('{"do_lower_case": false, "model_max_length": 512}');
    assert.deepEqual(overrides, { lowercase: false, modelMaxLength: 512 });
    const t = tokenizerFromTokenizerJson(tokenizerJsonFromVocab(BERT_NORMALIZER), 'x', overrides);
    assert.equal(t.config.lowercase, false);
    assert.equal(t.config.stripAccents, false);
    assert.deepEqual(optionsFromTokenizerConfig('{"model_max_length": 1e30}'), {});
    assert.deepEqual(
      optionsFromTokenizerConfig('{"unk_token": {"content": "<unk>"}, "strip_accents": true}'),
      {
        unkToken: '<unk>',
        stripAccents: true,
      },
    );
  });

  const broken: [string, string, RegExp][] = [
    ['invalid JSON', '{"model": ', /bad\.json: not valid JSON/],
    ['not an object', '[1, 2]', /bad\.json: expected a JSON object/],
    ['no model', '{}', /bad\.json: missing the "model" object/],
    [
      'a BPE model',
      '{"model": {"type": "BPE", "vocab": {}}}',
      /bad\.json: model\.type is "BPE", expected "WordPiece"/,
    ],
    ['vocab not a map', '{"model": {"type": "WordPiece", "vocab": []}}', /model\.vocab must be an object/],
    [
      'non-numeric id',
      '{"model": {"type": "WordPiece", "vocab": {"a": "1"}}}',
      /model\.vocab\["a"\] is not a number/,
    ],
    ['negative id', '{"model": {"type": "WordPiece", "vocab": {"a": -1}}}', /token "a" has id -1/],
    [
      'shared id',
      '{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 0}}}',
      /id 0 is given to both "a" and "b"/,
    ],
    ['empty vocab', '{"model": {"type": "WordPiece", "vocab": {}}}', /bad\.json: the vocabulary is empty/],
  ];
  for (const [label, text, message] of broken) {
    it(`refuses a tokenizer.json with ${label}`, () => {
      assert.throws(() => tokenizerFromTokenizerJson(text, 'bad.json'), message);
    });
  }

  const minimal = (extra: object): string =>
    JSON.stringify({
      model: { type: 'WordPiece', vocab: { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, a: 3 } },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      ...extra,
    });
  it('refuses normalizers and pre-tokenizers it does not implement, naming them', () => {
    assert.throws(
      () => tokenizerFromTokenizerJson(minimal({ normalizer: { type: 'NFKC' } }), 'n.json'),
      /n\.json: normalizer has type "NFKC"/,
    );
    assert.throws(
      () => tokenizerFromTokenizerJson(minimal({ normalizer: { type: 'NFD' } }), 'n.json'),
      /NFD normalizer without StripAccents/,
    );
    assert.throws(
      () => tokenizerFromTokenizerJson(minimal({ pre_tokenizer: { type: 'Whitespace' } }), 'p.json'),
      /p\.json: pre_tokenizer is "Whitespace", expected "BertPreTokenizer"/,
    );
    assert.throws(
      () => tokenizerFromTokenizerJson(minimal({ pre_tokenizer: null }), 'p.json'),
      /pre_tokenizer is null/,
    );
    assert.throws(
      () => tokenizerFromTokenizerJson(minimal({ normalizer: { type: 'BertNormalizer', lowercase: 'yes' } })),
      /normalizer\.lowercase is "yes", expected true\/false/,
    );
  });
  it('accepts a minimal tokenizer.json without a normalizer (nothing is normalised)', () => {
    const t = tokenizerFromTokenizerJson(minimal({ normalizer: null }));
    assert.deepEqual(
      t.tokenize('a A').map((x) => x.id),
      [3, 0],
    );
  });
});

describe('vocab.txt', () => {
  it('gives each line its index as id and tolerates CRLF line ends', () => {
    const v = Vocabulary.fromVocabText('[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n', 'crlf.txt');
    assert.equal(v.size, 4);
    assert.equal(v.id('hello'), 3);
    assert.equal(v.token(3), 'hello');
  });

  it('refuses an empty vocabulary, naming the file', () => {
    assert.throws(
      () => tokenizerFromVocabText('', {}, '/x/vocab.txt'),
      /\/x\/vocab\.txt: the vocabulary is empty/,
    );
    assert.throws(
      () => tokenizerFromVocabText('\n', {}, 'v.txt'),
      /v\.txt: the vocabulary has no unknown-word/,
    );
  });

  for (const [missing, role] of [
    ['[UNK]', 'unknown-word'],
    ['[CLS]', 'classifier'],
    ['[SEP]', 'separator'],
  ]) {
    it(`refuses a vocabulary without ${missing}`, () => {
      const lines = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a'].filter((t) => t !== missing);
      assert.throws(
        () => tokenizerFromVocabText(lines.join('\n') + '\n', {}, 'small/vocab.txt'),
        new RegExp(`small/vocab\\.txt: the vocabulary has no ${role} token "\\${missing.slice(0, -1)}\\]"`),
      );
    });
  }

  it('works without [PAD]/[MASK] (only padding then fails)', () => {
    const t = tokenizerFromVocabText('[UNK]\n[CLS]\n[SEP]\na\n');
    assert.equal(t.padId, undefined);
    assert.equal(t.maskId, undefined);
    assert.deepEqual(
      t.tokenize('a b').map((x) => x.id),
      [3, 0],
    );
  });
});

describe('loadTokenizer(checkpoint directory)', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-tok-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const dir = (name: string, files: Record<string, string>): string => {
    const d = path.join(root, name);
    fs.mkdirSync(d);
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(d, f), text);
    return d;
  };

  it('uses vocab.txt + tokenizer_config.json when there is no tokenizer.json', () => {
    const d = dir('vocab-only', {
      'vocab.txt': bertVocabText(),
      'tokenizer_config.json': '{"do_lower_case": true}',
    });
    const loaded = loadTokenizerFiles(d);
    assert.equal(loaded.vocabularyFile, path.join(d, 'vocab.txt'));
    assert.equal(loaded.configFile, path.join(d, 'tokenizer_config.json'));
    assert.deepEqual(
      loaded.tokenizer.tokenize('Café').map((t) => t.id),
      [7668],
    );
  });

  it('prefers tokenizer.json, and applies do_lower_case from tokenizer_config.json', () => {
    const d = dir('both', {
      'vocab.txt': '[UNK]\n[CLS]\n[SEP]\n',
      'tokenizer.json': tokenizerJsonFromVocab(BERT_NORMALIZER),
      'tokenizer_config.json': '{"do_lower_case": false}',
    });
    const loaded = loadTokenizerFiles(d);
    assert.equal(loaded.vocabularyFile, path.join(d, 'tokenizer.json'));
    assert.equal(loaded.tokenizer.vocabSize, 30522);
    assert.equal(loaded.tokenizer.config.lowercase, false);
    // explicit options win over the files
    assert.equal(loadTokenizer(d, { lowercase: true }).config.lowercase, true);
  });

  it('names the directory and the files it looked for when none is there', () => {
    const d = dir('empty', { 'config.json': '{}' });
    assert.throws(
      () => loadTokenizer(d),
      (e: Error) =>
        e.message.includes(d) &&
        e.message.includes('tokenizer.json and vocab.txt') &&
        e.message.includes('found config.json'),
    );
    assert.throws(() => loadTokenizer(path.join(root, 'nope')), /nope does not exist/);
  });

  it('reports a broken tokenizer.json by its path instead of silently using vocab.txt', () => {
    const d = dir('broken', { 'tokenizer.json': '{"model": {', 'vocab.txt': bertVocabText() });
    assert.throws(
      () => loadTokenizer(d),
      new RegExp(`${path.join(d, 'tokenizer.json').replace(/[/.]/g, '\\$&')}: not valid JSON`),
    );
  });

  it('reports a broken tokenizer_config.json by its path', () => {
    const d = dir('badconfig', {
      'vocab.txt': bertVocabText(),
      'tokenizer_config.json': '{"do_lower_case": "no"}',
    });
    assert.throws(
      () => loadTokenizer(d),
      /tokenizer_config\.json\.do_lower_case is "no", expected true\/false/,
    );
  });
});
