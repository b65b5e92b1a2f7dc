// The tokenizer against Hugging Face's own output (BertTokenizerFast, tokenizers 0.22.2), recorded by
// test/fixtures/text/make_hf_reference.py for hand-picked hard strings and for every text of the
// shared MS MARCO samples (dl19: 4103 passages).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { encodePair, loadTokenizer } from '../../../src/core/text';
import { FIXTURES, bertUncased, readTsv } from './helpers';

interface ReferenceCase {
  source: string;
  text: string;
  ids: number[];
  offsets: [number, number][];
  slowTokens?: string[];
}
interface ReferencePair {
  query: string;
  passage: string;
  maxLength: number;
  inputIds: number[];
  tokenTypeIds: number[];
}
interface Reference {
  cases: ReferenceCase[];
  collections: Record<string, { file: string; digests: [string, number, string][] }>;
  pairs: ReferencePair[];
  slowDiffers: string[];
}

const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'hf-reference.json'), 'utf8')) as Reference;

describe('matches Hugging Face BertTokenizerFast (bert-base-uncased)', () => {
  const tok = bertUncased();

  it('has the reference it claims (hand cases + 60 dl19 passages, no slow/fast disagreement)', () => {
    assert.equal(reference.cases.length, 93);
    assert.deepEqual(reference.slowDiffers, []);
  });

  for (const c of reference.cases) {
    it(`ids and offsets of ${c.source} ${JSON.stringify(c.text.slice(0, 40))}`, () => {
      const tokens = tok.tokenize(c.text);
      assert.deepEqual(
        tokens.map((t) => t.id),
        c.ids,
      );
      assert.deepEqual(
        tokens.map((t) => [t.start, t.end]),
        c.offsets,
      );
    });
  }

  for (const [name, collection] of Object.entries(reference.collections)) {
    it(`every text of ${name} (${collection.digests.length}) hashes like HF's ids + offsets`, () => {
      const rows = readTsv(collection.file);
      assert.equal(rows.length, collection.digests.length);
      const wrong: string[] = [];
      rows.forEach(([id, text], k) => {
        const [refId, refCount, refDigest] = collection.digests[k]!;
        assert.equal(id, refId);
        const tokens = tok.tokenize(text);
        const canonical =
          tokens.map((t) => t.id).join(',') + '|' + tokens.map((t) => `${t.start}-${t.end}`).join(',');
        const digest = createHash('sha1').update(canonical, 'utf8').digest('hex').slice(0, 16);
        if (digest !== refDigest || tokens.length !== refCount) wrong.push(id);
      });
      assert.deepEqual(wrong, []);
    });
  }

  it('assembles [CLS] q [SEP] p [SEP] pairs exactly as HF prepare_for_model (only_second truncation)', () => {
    assert.equal(reference.pairs.length, 24);
    assert.ok(reference.pairs.some((p) => p.inputIds.length === p.maxLength && p.maxLength === 40));
    for (const p of reference.pairs) {
      const enc = encodePair(tok, p.query, p.passage, { maxLength: p.maxLength, maxQueryLength: 64 });
      assert.deepEqual(Array.from(enc.inputIds), p.inputIds, `${p.query} / maxLength ${p.maxLength}`);
      assert.deepEqual(Array.from(enc.tokenTypeIds), p.tokenTypeIds);
    }
  });
});

describe('checkpoints saved by HF (save_pretrained of BertTokenizerFast)', () => {
  type Expected = Record<string, { text: string; ids: number[]; offsets: [number, number][] }[]>;
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tiny-expected.json'), 'utf8')) as Expected;

  for (const name of ['tiny-uncased', 'tiny-cased']) {
    const dir = path.join(FIXTURES, name);
    it(`${name}: tokenizer.json (+ tokenizer_config.json) gives HF's ids and offsets`, () => {
      const tok = loadTokenizer(dir);
      assert.equal(tok.config.lowercase, name === 'tiny-uncased');
      for (const e of expected[name]!) {
        const tokens = tok.tokenize(e.text);
        assert.deepEqual(
          tokens.map((t) => t.id),
          e.ids,
          e.text,
        );
        assert.deepEqual(
          tokens.map((t) => [t.start, t.end]),
          e.offsets,
        );
      }
    });
    it(`${name}: its vocab.txt + tokenizer_config.json alone give the same`, () => {
      const tok = loadTokenizer(path.join(dir, 'vocab.txt'));
      for (const e of expected[name]!) {
        assert.deepEqual(
          tok.tokenize(e.text).map((t) => t.id),
          e.ids,
          e.text,
        );
      }
    });
  }

  it('the cased and uncased checkpoints really differ on these texts (the flag is honoured)', () => {
    assert.notDeepEqual(expected['tiny-cased']![0]!.ids, expected['tiny-uncased']![0]!.ids);
  });
});
