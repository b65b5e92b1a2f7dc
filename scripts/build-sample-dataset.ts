// Builds sample-workspace/: the MS MARCO passages available here pooled into one small collection, the
// DL19 and dev-subset queries with their judgements, a seeded train / held-out split of the dev queries,
// and BM25 (Anserini parameters) top-100 runs over the pool. Deterministic: same input, same bytes.
// Run: node --import tsx scripts/build-sample-dataset.ts [--data <shared data dir>] [--out <dir>]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bm25Index, MSMARCO_BM25, formatMsmarcoRun, formatTrecRun } from '../src/core/bm25';
import { mulberry32 } from '../src/core/random';

const REPO_ROOT = path.resolve(__dirname, '..');
const SPLIT_SEED = 20200725;
const HELD_OUT_DEV_QUERIES = 192;
const RUN_DEPTH = 100;
const RUN_TAG = 'bm25-anserini-k1_0.82-b_0.68';

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
}

const dataDir = argument(
  '--data',
  process.env.RANKLENS_SHARED_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data'),
);
const outDir = argument('--out', path.join(REPO_ROOT, 'sample-workspace'));
const msmarco = (...parts: string[]): string => path.join(dataDir, 'msmarco', ...parts);

/** Tab-separated two-column lines (id \t text); blank lines ignored, anything else is an error. */
function readIdText(file: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const tab = line.indexOf('\t');
      if (tab <= 0) throw new Error(`${file}:${i + 1}: expected "id<TAB>text", got "${line.slice(0, 60)}"`);
      rows.push([line.slice(0, tab).trim(), line.slice(tab + 1).trim()]);
    });
  return rows;
}

interface Judgement {
  qid: string;
  pid: string;
  rel: number;
}

/** TREC qrels (qid iter pid rel), whitespace separated. */
function readQrels(file: string): Judgement[] {
  const rows: Judgement[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const f = line.trim().split(/\s+/);
      if (f.length !== 4 || !/^-?\d+$/.test(f[3])) {
        throw new Error(`${file}:${i + 1}: expected "qid iter pid rel", got "${line}"`);
      }
      rows.push({ qid: f[0], pid: f[2], rel: Number(f[3]) });
    });
  return rows;
}

function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const byNumber = (a: string, b: string): number => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);

function writeLines(name: string, lines: readonly string[]): void {
  fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');
  console.log(`wrote ${name} (${lines.length} lines)`);
}

// 1. Pool collection: every real passage text available, deduplicated by pid.
const collectionSources = [
  msmarco('dl19', 'collection.dl19-relevant.tsv'),
  msmarco('dev_small', 'collection.dev-small-relevant-subset.tsv'),
  msmarco('collection_head', 'collection.pid0-99.tsv'),
];
const passages = new Map<string, string>();
let duplicates = 0;
for (const file of collectionSources) {
  for (const [pid, text] of readIdText(file)) {
    const known = passages.get(pid);
    if (known !== undefined) {
      if (known !== text) throw new Error(`${file}: pid ${pid} has a different text than an earlier file`);
      duplicates++;
      continue;
    }
    passages.set(pid, text);
  }
}
const pids = [...passages.keys()].sort(byNumber);
console.log(`pool: ${pids.length} passages (${duplicates} duplicates with identical text dropped)`);

// 2. DL19 queries and the judgements whose passage is in the pool (grade-0 passages are not available).
const dl19Queries = readIdText(msmarco('dl19', 'queries.dl19.tsv'));
const dl19Qids = new Set(dl19Queries.map(([qid]) => qid));
const dl19Qrels = readQrels(msmarco('dl19', 'qrels.dl19-passage.txt')).filter(
  (j) => dl19Qids.has(j.qid) && passages.has(j.pid),
);
if (dl19Qrels.some((j) => j.rel < 1)) console.log('note: some grade-0 DL19 passages are in the pool');

// 3. Dev-subset queries, split into train / held-out with a fixed seed.
const devQueries = readIdText(msmarco('dev_small', 'queries.dev-small-subset.tsv'));
const devQrels = readQrels(msmarco('dev_small', 'qrels.dev-small-subset.txt'));
for (const j of devQrels) {
  if (!passages.has(j.pid)) throw new Error(`dev qrels: pid ${j.pid} (qid ${j.qid}) has no passage text`);
}
const shuffledDev = seededShuffle(devQueries.map(([qid]) => qid).sort(byNumber), SPLIT_SEED);
const heldOut = new Set(shuffledDev.slice(0, HELD_OUT_DEV_QUERIES));
const overlap = [...heldOut].filter((qid) => dl19Qids.has(qid));
if (overlap.length > 0) throw new Error(`dev and DL19 query ids overlap: ${overlap.join(',')}`);

const queryLines = (queries: Array<[string, string]>): string[] =>
  [...queries].sort((a, b) => byNumber(a[0], b[0])).map(([qid, text]) => `${qid}\t${text}`);
const qrelLines = (qrels: Judgement[]): string[] =>
  [...qrels]
    .sort((a, b) => byNumber(a.qid, b.qid) || byNumber(a.pid, b.pid))
    .map((j) => `${j.qid} 0 ${j.pid} ${j.rel}`);

fs.mkdirSync(outDir, { recursive: true });
writeLines(
  'collection.tsv',
  pids.map((pid) => `${pid}\t${passages.get(pid)}`),
);
writeLines('queries.dl19.tsv', queryLines(dl19Queries));
writeLines('qrels.dl19.txt', qrelLines(dl19Qrels));
const splits: Array<[string, (qid: string) => boolean]> = [
  ['dev', (qid) => heldOut.has(qid)],
  ['train', (qid) => !heldOut.has(qid)],
];
const splitQueries = new Map<string, Array<[string, string]>>();
for (const [name, member] of splits) {
  const queries = devQueries.filter(([qid]) => member(qid));
  splitQueries.set(name, queries);
  writeLines(`queries.${name}.tsv`, queryLines(queries));
  writeLines(`qrels.${name}.txt`, qrelLines(devQrels.filter((j) => member(j.qid))));
}

// 4. BM25 top-100 over the pool for every query set.
const index = new Bm25Index(
  pids.map((pid) => ({ id: pid, text: passages.get(pid) ?? '' })),
  MSMARCO_BM25,
);
// The train run (training negatives for the bundled model) is written in MS MARCO format only, to keep
// the workspace small.
const runSets: Array<[string, Array<[string, string]>, boolean]> = [
  ['dl19', dl19Queries, true],
  ['dev', splitQueries.get('dev') ?? [], true],
  ['train', splitQueries.get('train') ?? [], false],
];
for (const [name, queries, withTrec] of runSets) {
  const msmarcoLines: string[] = [];
  const trecLines: string[] = [];
  for (const [qid, text] of [...queries].sort((a, b) => byNumber(a[0], b[0]))) {
    const hits = index.search(text, RUN_DEPTH);
    msmarcoLines.push(...formatMsmarcoRun(qid, hits));
    trecLines.push(...formatTrecRun(qid, hits, RUN_TAG));
  }
  writeLines(`run.${name}.bm25.tsv`, msmarcoLines);
  if (withTrec) writeLines(`run.${name}.bm25.trec`, trecLines);
}
