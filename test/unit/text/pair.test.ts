// [CLS] query [SEP] passage [SEP]: truncation, token types, kinds (incl. Zhan et al.'s period rule),
// padding, and the batch helpers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchIndicesByLength,
  encodePair,
  encodePairs,
  isPassageToken,
  isQueryToken,
  packBatch,
  realLength,
  tokenizerFromVocabText,
  type EncodedPair,
} from '../../../src/core/text';
import { DL19_COLLECTION, DL19_QUERIES, bertUncased, readTsv } from './helpers';

const tok = bertUncased();
const words = (n: number, w = 'the'): string => Array.from({ length: n }, () => w).join(' ');
const kinds = (p: EncodedPair): string => p.tokens.map((t) => t.kind).join(' ');

describe('encodePair', () => {
  it('lays out [CLS] q [SEP] p [SEP] with types 0/1, offsets into each original text', () => {
    const query = 'What is BERT?';
    const passage = 'BERT is a model. It ranks.';
    const p = encodePair(tok, query, passage);
    assert.deepEqual(
      p.tokens.map((t) => t.text),
      [
        '[CLS]',
        'what',
        'is',
        'bert',
        '?',
        '[SEP]',
        'bert',
        'is',
        'a',
        'model',
        '.',
        'it',
        'ranks',
        '.',
        '[SEP]',
      ],
    );
    assert.deepEqual(Array.from(p.inputIds.slice(0, 2)), [101, 2054]);
    assert.equal(p.inputIds[5], 102);
    assert.equal(p.inputIds[14], 102);
    assert.deepEqual(Array.from(p.tokenTypeIds), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(p.attentionMask), new Array(15).fill(1));
    assert.equal(kinds(p), 'cls query query query query sep doc doc doc doc period doc doc period sep');
    assert.deepEqual(
      p.tokens.map((t) => t.segment),
      Array.from(p.tokenTypeIds),
    );
    for (const t of p.tokens) {
      if (t.kind === 'cls' || t.kind === 'sep') assert.deepEqual([t.start, t.end], [-1, -1]);
      else {
        const source = t.segment === 0 ? query : passage;
        assert.equal(source.slice(t.start, t.end).toLowerCase(), t.text);
      }
    }
    assert.equal(p.queryTruncated, false);
    assert.equal(p.passageTruncated, false);
    assert.equal(p.passageTokenCount, 8);
    assert.equal(p.tokens.filter(isQueryToken).length, 4);
    assert.equal(p.tokens.filter(isPassageToken).length, 8);
  });

  it('keeps a query of exactly 64 WordPieces whole and cuts the 65th', () => {
    const exact = encodePair(tok, words(64), 'ok');
    assert.equal(exact.queryTruncated, false);
    assert.equal(exact.tokens.filter((t) => t.kind === 'query').length, 64);
    const over = encodePair(tok, words(65), 'ok');
    assert.equal(over.queryTruncated, true);
    assert.equal(over.tokens.filter((t) => t.kind === 'query').length, 64);
    assert.equal(over.tokens[65]!.kind, 'sep');
    assert.equal(over.tokenTypeIds[65], 0);
    const short = encodePair(tok, words(10), 'ok', { maxQueryLength: 8 });
    assert.equal(short.tokens.filter((t) => t.kind === 'query').length, 8);
  });

  it('fills maxLength exactly with a passage that just fits, and cuts one WordPiece more', () => {
    // 5 query pieces: passage budget = 256 - 3 - 5 = 248.
    const fits = encodePair(tok, words(5), words(248, 'a'));
    assert.equal(fits.inputIds.length, 256);
    assert.equal(fits.passageTruncated, false);
    assert.equal(fits.passageTokenCount, 248);
    assert.equal(fits.tokens[255]!.kind, 'sep');
    const over = encodePair(tok, words(5), words(249, 'a'));
    assert.equal(over.inputIds.length, 256);
    assert.equal(over.passageTruncated, true);
    assert.equal(over.passageTokenCount, 249);
    assert.equal(over.tokens[255]!.text, '[SEP]');
    const custom = encodePair(tok, words(5), words(100, 'a'), { maxLength: 64 });
    assert.equal(custom.inputIds.length, 64);
    assert.equal(custom.tokens.filter((t) => t.kind === 'doc').length, 64 - 3 - 5);
  });

  it('cuts by WordPieces, not words (a long word contributes several pieces)', () => {
    const p = encodePair(tok, 'q', 'unaffable unaffable', { maxLength: 8 });
    // [CLS] q [SEP] una ##ffa ##ble una [SEP]
    assert.deepEqual(
      p.tokens.map((t) => t.text),
      ['[CLS]', 'q', '[SEP]', 'una', '##ffa', '##ble', 'una', '[SEP]'],
    );
    assert.equal(p.passageTokenCount, 6);
  });

  it('pads to maxLength with [PAD] (kind pad, id 0, type 0, mask 0) only when asked', () => {
    const p = encodePair(tok, 'a query', 'a passage', { maxLength: 16, padToMaxLength: true });
    assert.equal(p.inputIds.length, 16);
    assert.equal(realLength(p), 7);
    assert.deepEqual(Array.from(p.attentionMask), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(p.inputIds.slice(7)), new Array(9).fill(0));
    assert.deepEqual(Array.from(p.tokenTypeIds.slice(7)), new Array(9).fill(0));
    assert.ok(p.tokens.slice(7).every((t) => t.kind === 'pad' && t.start === -1 && t.text === '[PAD]'));
    assert.equal(encodePair(tok, 'a query', 'a passage', { maxLength: 16 }).inputIds.length, 7);
  });

  it('labels "." as a period unless both neighbours are numbers (3.14 is not a period)', () => {
    const p = encodePair(tok, 'q', 'pi is 3.14. U.S. e.g. v2.0 1.5m .5');
    const got = p.tokens.filter((t) => t.text === '.').map((t) => t.kind);
    // 3 . 14 | . | u . s . | e . g . | v ##2 . 0 | 1 . 5 ##m | . 5
    assert.deepEqual(
      p.tokens.filter((t) => t.segment === 1).map((t) => t.text),
      [
        'pi',
        'is',
        '3',
        '.',
        '14',
        '.',
        'u',
        '.',
        's',
        '.',
        'e',
        '.',
        'g',
        '.',
        'v',
        '##2',
        '.',
        '0',
        '1',
        '.',
        '5',
        '##m',
        '.',
        '5',
        '[SEP]',
      ],
    );
    // "##2" is not a number (Zhan et al.'s is_num), "5" before "##m" is.
    assert.deepEqual(got, [
      'doc',
      'period',
      'period',
      'period',
      'period',
      'period',
      'period',
      'doc',
      'period',
    ]);
  });

  it('labels a "." that opens the passage a period (real MS MARCO passages 3134, 3181 and 7854161 do)', () => {
    const passages = new Map([
      ...readTsv('msmarco/collection_10k/collection.pid0-9999.tsv'),
      ...readTsv('msmarco/dev_small/collection.dev-small-relevant-subset.tsv'),
    ]);
    for (const [pid, periods] of [
      ['3134', 1],
      ['3181', 2],
      ['7854161', 1],
    ] as const) {
      const text = passages.get(pid) ?? assert.fail(`pid ${pid} missing`);
      assert.match(text, /^\./);
      // The "." at the passage's first position has no neighbour before it within the passage.
      const p = encodePair(tok, '1 2', text);
      const passage = p.tokens.filter((t) => t.segment === 1);
      assert.deepEqual(
        passage.slice(0, periods).map((t) => `${t.text}:${t.kind}`),
        Array.from({ length: periods }, () => '.:period'),
        `pid ${pid}`,
      );
    }
    // Alone as the passage, between [SEP] and [SEP].
    assert.equal(kinds(encodePair(tok, '3', '.')), 'cls query sep period sep');
  });

  it('decides periods on the truncated sequence: "3." cut before its digits is a period', () => {
    const p = encodePair(tok, 'q', 'x 3.14', { maxLength: 7 });
    assert.deepEqual(
      p.tokens.map((t) => `${t.text}:${t.kind}`),
      ['[CLS]:cls', 'q:query', '[SEP]:sep', 'x:doc', '3:doc', '.:period', '[SEP]:sep'],
    );
  });

  it('leaves query periods as query tokens unless queryPeriods is set', () => {
    assert.equal(kinds(encodePair(tok, 'U.S. law', 'x')), 'cls query query query query query sep doc sep');
    const withPeriods = encodePair(tok, 'U.S. law', 'x', { queryPeriods: true });
    assert.equal(kinds(withPeriods), 'cls query period query period query sep doc sep');
    assert.equal(withPeriods.tokens.filter(isQueryToken).length, 5);
  });

  it('keeps a literal [SEP] in the passage as a passage token with its offsets', () => {
    const p = encodePair(tok, 'q', 'a [SEP] b');
    assert.deepEqual(
      p.tokens.map((t) => `${t.text}:${t.kind}:${t.start}`),
      ['[CLS]:cls:-1', 'q:query:0', '[SEP]:sep:-1', 'a:doc:0', '[SEP]:doc:2', 'b:doc:8', '[SEP]:sep:-1'],
    );
  });

  it('handles empty texts', () => {
    const p = encodePair(tok, '', '');
    assert.equal(kinds(p), 'cls sep sep');
    assert.deepEqual(Array.from(p.tokenTypeIds), [0, 0, 1]);
  });

  it('refuses impossible limits and padding without [PAD]', () => {
    assert.throws(() => encodePair(tok, 'q', 'p', { maxLength: 2 }), /maxLength must be an integer >= 3/);
    assert.throws(
      () => encodePair(tok, 'q', 'p', { maxQueryLength: -1 }),
      /maxQueryLength must be an integer >= 0/,
    );
    // A query limit larger than the sequence is clamped so both [SEP]s fit.
    const clamped = encodePair(tok, words(10), 'p', { maxLength: 6, maxQueryLength: 64 });
    assert.equal(kinds(clamped), 'cls query query query sep sep');
    assert.equal(clamped.passageTruncated, true);
    const noPad = tokenizerFromVocabText('[UNK]\n[CLS]\n[SEP]\na\n', {}, 'nopad/vocab.txt');
    assert.throws(
      () => encodePair(noPad, 'a', 'a', { padToMaxLength: true }),
      /padding asked for, but the vocabulary \(nopad\/vocab\.txt\) has no \[PAD\]/,
    );
  });
});

describe('batch helpers', () => {
  const queries = readTsv(DL19_QUERIES).slice(0, 3);
  const passages = readTsv(DL19_COLLECTION).slice(0, 40);
  const pairs = passages.map(([, passage], i) => ({ query: queries[i % 3]![1], passage }));

  it('encodePairs equals encoding each pair on its own', () => {
    const batch = encodePairs(tok, pairs, { maxLength: 128 });
    assert.equal(batch.length, pairs.length);
    batch.forEach((enc, i) =>
      assert.deepEqual(enc, encodePair(tok, pairs[i]!.query, pairs[i]!.passage, { maxLength: 128 })),
    );
  });

  it('packBatch pads rows to the longest, batchIndicesByLength groups similar lengths', () => {
    const encoded = encodePairs(tok, pairs, { maxLength: 128 });
    const groups = batchIndicesByLength(encoded, 16);
    assert.deepEqual(
      groups.map((g) => g.length),
      [16, 16, 8],
    );
    assert.deepEqual(
      groups.flat().sort((a, b) => a - b),
      pairs.map((_, i) => i),
    );
    const lengths = groups.flat().map((i) => realLength(encoded[i]!));
    assert.deepEqual(
      lengths,
      [...lengths].sort((a, b) => b - a),
    );

    const rows = groups[2]!.map((i) => encoded[i]!);
    const packed = packBatch(rows, tok.padId!);
    const longest = Math.max(...rows.map(realLength));
    assert.equal(packed.batchSize, 8);
    assert.equal(packed.sequenceLength, longest);
    rows.forEach((r, row) => {
      const n = realLength(r);
      const ids = packed.inputIds.subarray(row * longest, (row + 1) * longest);
      assert.deepEqual(Array.from(ids.subarray(0, n)), Array.from(r.inputIds));
      assert.ok(ids.subarray(n).every((x) => x === 0));
      const mask = packed.attentionMask.subarray(row * longest, (row + 1) * longest);
      assert.equal(
        mask.reduce((a, b) => a + b, 0),
        n,
      );
      const types = packed.tokenTypeIds.subarray(row * longest, (row + 1) * longest);
      assert.deepEqual(Array.from(types.subarray(0, n)), Array.from(r.tokenTypeIds));
    });
    assert.throws(() => packBatch(rows, 0, 4), /more than the sequence length 4/);
    assert.throws(() => batchIndicesByLength(encoded, 0), /maxBatchSize must be a positive integer/);
  });
});
