import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePair, loadTokenizer, type EncodedPair } from '../src/core/text';
import { sharedFile } from '../test/support/paths';

/** A real dev query with relevant passages appended until the pair fills `seq` WordPieces. */
export function benchPair(modelDir: string, seq: number): EncodedPair {
  const dir = path.dirname(sharedFile('msmarco', 'dev_small', 'qrels.dev-small-subset.txt'));
  const read = (file: string) =>
    fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
  const query = read('queries.dev-small-subset.tsv')[0][1];
  const passages = read('collection.dev-small-relevant-subset.tsv').map((r) => r[1]);
  const tokenizer = loadTokenizer(modelDir);
  let passage = '';
  for (const p of passages) {
    passage = passage ? `${passage} ${p}` : p;
    const pair = encodePair(tokenizer, query, passage, { maxLength: seq });
    if (pair.passageTruncated) return pair;
  }
  throw new Error(`not enough passage text for ${seq} WordPieces`);
}
