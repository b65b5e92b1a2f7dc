import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeEnglish,
  ENGLISH_STOP_WORDS,
  removePossessive,
  standardTokenize,
  MAX_TOKEN_LENGTH,
} from '../../../src/core/bm25';

describe('standardTokenize (Lucene StandardTokenizer word breaks)', () => {
  it('splits a real MS MARCO passage (pid 6138) on spaces and sentence punctuation', () => {
    const text =
      'Quick Answer. Hurricane season in Jamaica starts on June 1 and ends on Nov. 30. Satellite weather forecasts';
    assert.deepEqual(standardTokenize(text), [
      'Quick',
      'Answer',
      'Hurricane',
      'season',
      'in',
      'Jamaica',
      'starts',
      'on',
      'June',
      '1',
      'and',
      'ends',
      'on',
      'Nov',
      '30',
      'Satellite',
      'weather',
      'forecasts',
    ]);
  });

  it('keeps apostrophes, dotted acronyms, decimals and thousands inside words (UAX#29 WB6/7, WB11/12)', () => {
    assert.deepEqual(standardTokenize("Ludacris's net worth isn't $25,000.50 in the U.S. (3.14)"), [
      "Ludacris's",
      'net',
      'worth',
      "isn't",
      '25,000.50',
      'in',
      'the',
      'U.S',
      '3.14',
    ]);
  });

  it('breaks on hyphens and slashes, joins letters with digits and underscores', () => {
    assert.deepEqual(standardTokenize('wi-fi vs. bluetooth/zigbee ww1 snake_case _'), [
      'wi',
      'fi',
      'vs',
      'bluetooth',
      'zigbee',
      'ww1',
      'snake_case',
    ]);
  });

  it('keeps accented letters and combining marks, emits ideographs one by one', () => {
    assert.deepEqual(standardTokenize('naïve cafe\u0301 東京'), ['naïve', 'cafe\u0301', '東', '京']);
  });

  it('splits tokens longer than 255 characters', () => {
    const long = 'x'.repeat(MAX_TOKEN_LENGTH + 10);
    assert.deepEqual(
      standardTokenize(long).map((t) => t.length),
      [MAX_TOKEN_LENGTH, 10],
    );
  });
});

describe('analyzeEnglish (Anserini default English analyzer)', () => {
  it('uses exactly Lucene’s 33 English stop words', () => {
    assert.equal(ENGLISH_STOP_WORDS.size, 33);
    for (const w of ['the', 'a', 'into', 'such', 'will', 'with', 'their'])
      assert.ok(ENGLISH_STOP_WORDS.has(w));
    for (const w of ['what', 'how', 'who', 'we', 'has', 'do']) assert.ok(!ENGLISH_STOP_WORDS.has(w));
  });

  it('removes possessives before lower-casing, including the typographic apostrophe', () => {
    assert.equal(removePossessive("Britain's"), 'Britain');
    assert.equal(removePossessive('JOHN’S'), 'JOHN');
    assert.equal(removePossessive("don't"), "don't");
  });

  it('analyzes a real DL19 query and passage to Porter stems', () => {
    assert.deepEqual(analyzeEnglish('why did the us volunterilay enter ww1'), [
      'why',
      'did',
      'us',
      'volunterilai',
      'enter',
      'ww1',
    ]);
    // pid 1729, first sentence.
    assert.deepEqual(
      analyzeEnglish(
        'Graduate Study in Anthropology. The graduate program in biological anthropology at CU Boulder offers training',
      ),
      [
        'graduat',
        'studi',
        'anthropolog',
        'graduat',
        'program',
        'biolog',
        'anthropolog',
        'cu',
        'boulder',
        'offer',
        'train',
      ],
    );
  });

  it('matches Porter’s published examples', () => {
    // From M. F. Porter (1980), "An algorithm for suffix stripping".
    const examples: Array<[string, string]> = [
      ['caresses', 'caress'],
      ['ponies', 'poni'],
      ['relational', 'relat'],
      ['hopping', 'hop'],
      ['agreed', 'agre'],
      ['generalizations', 'gener'],
      ['electrical', 'electr'],
    ];
    for (const [word, stem] of examples) assert.deepEqual(analyzeEnglish(word), [stem], word);
  });
});
