// A small, fully synthetic MS MARCO-shaped dataset over a tiny WordPiece vocabulary, for analyses on random
// checkpoints: vocab.txt (written into the checkpoint folder), collection, queries, qrels and a TREC run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../src/core/random';
import { writeRandomCheckpoint, type CheckpointSpec, type WrittenCheckpoint } from './checkpoints';

/** 50 entries, matching writeRandomCheckpoint's default vocabulary size. */
export const TINY_VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  '.',
  ',',
  ...'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu red green blue cyan magenta yellow black white gray pink brown olive navy teal 1 2 3'.split(
    ' ',
  ),
];

export interface TinyDatasetFiles {
  readonly collection: string;
  readonly queries: string;
  readonly qrels: string;
  readonly run: string;
}

/** The `ranklens analyze` options that name the dataset's files. */
export function tinyDatasetArgs(files: TinyDatasetFiles): string[] {
  return [
    '--collection',
    files.collection,
    '--queries',
    files.queries,
    '--qrels',
    files.qrels,
    '--run',
    files.run,
  ];
}

export function writeTinyVocab(checkpointDir: string): void {
  if (TINY_VOCAB.length !== 50) throw new Error(`tiny vocabulary has ${TINY_VOCAB.length} entries, want 50`);
  fs.writeFileSync(path.join(checkpointDir, 'vocab.txt'), TINY_VOCAB.join('\n') + '\n');
}

/**
 * `queries` queries with `candidates` passages each (TREC run with decreasing scores, one or two relevant
 * per query with grades 1-2, passages with periods and "1 . 2" numbers).
 */
export function writeTinyDataset(
  dir: string,
  options: { queries: number; candidates: number; seed?: number },
): TinyDatasetFiles {
  fs.mkdirSync(dir, { recursive: true });
  const next = mulberry32(options.seed ?? 5);
  const words = TINY_VOCAB.slice(7, 47);
  const word = () => words[Math.floor(next() * words.length)];
  const sentence = (n: number) => Array.from({ length: n }, word).join(' ');
  const collection: string[] = [];
  const queries: string[] = [];
  const qrels: string[] = [];
  const run: string[] = [];
  let pid = 100;
  for (let q = 0; q < options.queries; q++) {
    const qid = String(1000 + q);
    queries.push(`${qid}\t${sentence(2 + (q % 3))}`);
    for (let c = 0; c < options.candidates; c++) {
      const text = `${sentence(3 + ((q + c) % 5))}. ${sentence(2 + (c % 4))}, ${sentence(2)} 1.2 ${sentence(1)}.`;
      collection.push(`${pid}\t${text}`);
      if (c === (q * 3) % options.candidates) qrels.push(`${qid} 0 ${pid} 2`);
      else if (c === (q * 5 + 1) % options.candidates) qrels.push(`${qid} 0 ${pid} 1`);
      else if (c % 4 === 0) qrels.push(`${qid} 0 ${pid} 0`);
      run.push(`${qid} Q0 ${pid} ${c + 1} ${(20 - c * 0.5).toFixed(3)} bm25`);
      pid++;
    }
  }
  const write = (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  return {
    collection: write('collection.tsv', collection),
    queries: write('queries.tsv', queries),
    qrels: write('qrels.txt', qrels),
    run: write('run.trec', run),
  };
}

export interface TinyModelAndDataset {
  /** ROOT/model: the random checkpoint with the tiny vocabulary. */
  readonly modelDir: string;
  readonly written: WrittenCheckpoint;
  /** In ROOT/data. */
  readonly files: TinyDatasetFiles;
}

/** What the analysis and CLI tests run on: a random checkpoint that reads the tiny dataset beside it, in `root`. */
export function writeTinyModelAndDataset(
  root: string,
  spec: CheckpointSpec,
  dataset: { queries: number; candidates: number; seed?: number },
): TinyModelAndDataset {
  const modelDir = path.join(root, 'model');
  const written = writeRandomCheckpoint(modelDir, spec);
  writeTinyVocab(modelDir);
  return { modelDir, written, files: writeTinyDataset(path.join(root, 'data'), dataset) };
}
