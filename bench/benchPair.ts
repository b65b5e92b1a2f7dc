import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodePair, loadTokenizer, type EncodedPair } from '../src/core/text';
import { REPO_ROOT, sharedFile } from '../test/support/paths';

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

/**
 * The pair the extension's timed IG test uses: DL19 query 19335 with its first ten BM25 passages (sample
 * workspace), cut at `seq` WordPieces. Its IG paths turn sharply at the low layers, unlike benchPair's.
 */
export function dl19Pair(modelDir: string, seq: number): EncodedPair {
  const workspace = path.join(REPO_ROOT, 'sample-workspace');
  const collection = new Map(
    fs
      .readFileSync(path.join(workspace, 'collection.tsv'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t') as [string, string]),
  );
  const ranked = fs
    .readFileSync(path.join(workspace, 'run.dl19.bm25.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('19335\t'))
    .map((line) => line.split('\t'))
    .sort((a, b) => Number(a[2]) - Number(b[2]));
  const passage = ranked
    .slice(0, 10)
    .map(([, pid]) => collection.get(pid) ?? '')
    .join(' ');
  const pair = encodePair(loadTokenizer(modelDir), 'anthropological definition of environment', passage, {
    maxLength: seq,
  });
  if (pair.tokens.length !== seq)
    throw new Error(`the DL19 pair has ${pair.tokens.length} WordPieces, not ${seq}`);
  return pair;
}
