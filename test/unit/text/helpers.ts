// Shared loaders for the text tests: the real bert-base-uncased vocab and MS MARCO passages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERT_VOCAB, REPO_ROOT, sharedFile } from '../../support/paths';
import { tokenizerFromVocabText, type WordPieceTokenizer } from '../../../src/core/text';

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'text');

let vocabText: string | undefined;
export function bertVocabText(): string {
  vocabText ??= fs.readFileSync(BERT_VOCAB(), 'utf8');
  return vocabText;
}

let tokenizer: WordPieceTokenizer | undefined;
/** bert-base-uncased, built from the real vocab.txt with default (uncased) settings. */
export function bertUncased(): WordPieceTokenizer {
  tokenizer ??= tokenizerFromVocabText(bertVocabText(), {}, BERT_VOCAB());
  return tokenizer;
}

let lines: string[] | undefined;
/** Id of a token found the independent way: its 0-based line number in vocab.txt. */
export function lineId(token: string): number {
  lines ??= bertVocabText().split('\n');
  const i = lines.indexOf(token);
  if (i < 0) throw new Error(`test setup: ${JSON.stringify(token)} is not a line of the vocab`);
  return i;
}

/** Rows of an MS MARCO tsv under shared/data ("id<TAB>text"), as the reference generator reads them. */
export function readTsv(relative: string): [string, string][] {
  return fs
    .readFileSync(sharedFile(...relative.split('/')), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const tab = l.indexOf('\t');
      return [l.slice(0, tab), l.slice(tab + 1)];
    });
}

export const DL19_COLLECTION = 'msmarco/dl19/collection.dl19-relevant.tsv';
export const HEAD_COLLECTION = 'msmarco/collection_head/collection.pid0-99.tsv';
export const DL19_QUERIES = 'msmarco/dl19/queries.dl19.tsv';
