// Builds sample-workspace/ from the verified MS MARCO files in ../shared/data (see its PROVENANCE.md):
// DL19 with the real Anserini BM25 top-100 run and the official graded qrels; 600 dev.small queries with
// their real BM25 top-20, split by qid into a training part and a held-out part; the first 100 training
// triples; and one collection holding the text of every passage those files name, plus the first 10,000
// passages of MS MARCO. Runs and qrels are copied, never recomputed. Deterministic: same input, same bytes.
// Run: node --import tsx scripts/build-sample-dataset.ts [--data <shared data dir>] [--out <dir>]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededShuffle } from '../src/core/random';

const REPO_ROOT = path.resolve(__dirname, '..');
/** The dev600 split: qids sorted numerically, seededShuffle(qids, SPLIT_SEED), the first HELD_OUT_QUERIES held out. */
const SPLIT_SEED = 20200725;
const HELD_OUT_QUERIES = 200;
const EXPECTED_DEV600_QUERIES = 600;

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

const SOURCES = {
  dl19Queries: msmarco('dl19_bm25_top100', 'queries.dl19.tsv'),
  dl19Qrels: msmarco('dl19', 'qrels.dl19-passage.txt'),
  dl19Run: msmarco('dl19_bm25_top100', 'run.dl19.bm25-top100.trec'),
  dev600Queries: msmarco('dev600_bm25_top20', 'queries.dev600.tsv'),
  dev600Qrels: msmarco('dev600_bm25_top20', 'qrels.dev600.txt'),
  dev600Run: msmarco('dev600_bm25_top20', 'run.dev600.bm25-top20.tsv'),
  triples: msmarco('triples_head', 'triples.train.small.head100.tsv'),
  slice10k: msmarco('collection_10k', 'collection.pid0-9999.tsv'),
};

/**
 * Passage texts, in order of precedence where two files give the same pid different text (they differ
 * only in whitespace or in MS MARCO's mojibake, e.g. "â\x80\x99" against "’"): first the texts of the
 * candidate lists themselves (what BM25 ranked), then the 10k slice (MS MARCO's raw encoding, like the
 * candidate lists), then the relevant-only files (re-encoded by ir_datasets), which fill only the judged
 * passages that no candidate list holds.
 */
const TEXT_SOURCES = [
  msmarco('dl19_bm25_top100', 'collection.dl19-bm25-top100.tsv'),
  msmarco('dev600_bm25_top20', 'collection.dev600-bm25-top20.tsv'),
  SOURCES.slice10k,
  msmarco('dl19', 'collection.dl19-relevant.tsv'),
  msmarco('dev_small', 'collection.dev-small-relevant-subset.tsv'),
];

/** The non-empty lines of a file, with the line number of each (for error messages). */
function readLines(file: string): Array<{ text: string; line: number }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ text: text.replace(/\r$/, ''), line: i + 1 }))
    .filter((l) => l.text.trim() !== '');
}

/** "id<TAB>text" lines; the text is kept byte for byte. Each id once. */
function readIdText(file: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const { text, line } of readLines(file)) {
    const tab = text.indexOf('\t');
    if (tab <= 0) throw new Error(`${file}:${line}: expected "id<TAB>text", got "${text.slice(0, 60)}"`);
    const id = text.slice(0, tab);
    if (rows.has(id)) throw new Error(`${file}:${line}: id ${id} occurs twice`);
    rows.set(id, text.slice(tab + 1));
  }
  return rows;
}

/** Lines split on `separator` into exactly `columns` fields. */
function readColumns(file: string, separator: RegExp, columns: number, expected: string): string[][] {
  return readLines(file).map(({ text, line }) => {
    const fields = text.trim().split(separator);
    if (fields.length !== columns) throw new Error(`${file}:${line}: expected "${expected}", got "${text}"`);
    return fields;
  });
}

const byNumber = (a: string, b: string): number => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);

const written: string[] = [];
function writeLines(name: string, lines: readonly string[]): void {
  fs.writeFileSync(path.join(outDir, name), lines.join('\n') + '\n');
  written.push(name);
  console.log(`wrote ${name} (${lines.length} lines)`);
}
/** Byte for byte (not fs.copyFileSync, which would also copy the read-only mode of the shared files). */
function copyVerbatim(source: string, name: string): void {
  fs.writeFileSync(path.join(outDir, name), fs.readFileSync(source));
  written.push(name);
  console.log(`copied ${name} (${readLines(source).length} lines) from ${path.relative(dataDir, source)}`);
}

function requireKnownQids(file: string, qids: Iterable<string>, queries: ReadonlyMap<string, string>): void {
  for (const qid of qids) if (!queries.has(qid)) throw new Error(`${file}: qid ${qid} has no query text`);
}

// Every pid a run or qrels file names, so that the collection can be checked to cover them.
const namedPids = new Set<string>();

// 1. DL19: queries, official qrels (all grades), the Anserini BM25 top-100 run as given and in MS MARCO format.
const dl19Queries = readIdText(SOURCES.dl19Queries);
const dl19Qrels = readColumns(SOURCES.dl19Qrels, /\s+/, 4, 'qid iter pid grade');
const dl19Run = readColumns(SOURCES.dl19Run, /\s+/, 6, 'qid Q0 pid rank score tag');
requireKnownQids(SOURCES.dl19Qrels, new Set(dl19Qrels.map((f) => f[0])), dl19Queries);
requireKnownQids(SOURCES.dl19Run, new Set(dl19Run.map((f) => f[0])), dl19Queries);
for (const [, , pid] of [...dl19Qrels, ...dl19Run]) namedPids.add(pid);

// 2. dev600: the seeded split by qid, then queries, qrels and the BM25 top-20 run filtered per part.
const dev600Queries = readIdText(SOURCES.dev600Queries);
const dev600Qrels = readColumns(SOURCES.dev600Qrels, /\s+/, 4, 'qid iter pid grade');
const dev600Run = readColumns(SOURCES.dev600Run, /\t/, 3, 'qid<TAB>pid<TAB>rank');
requireKnownQids(SOURCES.dev600Qrels, new Set(dev600Qrels.map((f) => f[0])), dev600Queries);
requireKnownQids(SOURCES.dev600Run, new Set(dev600Run.map((f) => f[0])), dev600Queries);
for (const [, , pid] of dev600Qrels) namedPids.add(pid);
for (const [, pid] of dev600Run) namedPids.add(pid);
if (dev600Queries.size !== EXPECTED_DEV600_QUERIES) {
  throw new Error(
    `${SOURCES.dev600Queries}: expected ${EXPECTED_DEV600_QUERIES} queries, got ${dev600Queries.size}`,
  );
}
const overlap = [...dev600Queries.keys()].filter((qid) => dl19Queries.has(qid));
if (overlap.length > 0) throw new Error(`dev600 and DL19 share query ids: ${overlap.join(', ')}`);
const shuffled = seededShuffle([...dev600Queries.keys()].sort(byNumber), SPLIT_SEED);
const heldOut = new Set(shuffled.slice(0, HELD_OUT_QUERIES));

// 3. The collection: every named pid with text, plus the 10k slice; per pid the first source that has it.
const slice10k = readIdText(SOURCES.slice10k);
const texts = TEXT_SOURCES.map((file) => (file === SOURCES.slice10k ? slice10k : readIdText(file)));
const wanted = new Set([...namedPids, ...slice10k.keys()]);
const collection = new Map<string, string>();
const disagreements = new Map<string, { differ: number; whitespaceOnly: number }>();
for (const pid of [...wanted].sort(byNumber)) {
  const found = texts.flatMap((source, i) => {
    const text = source.get(pid);
    return text === undefined ? [] : [{ text, from: i }];
  });
  if (found.length === 0) continue;
  collection.set(pid, found[0].text);
  for (const other of found.slice(1)) {
    if (other.text === found[0].text) continue;
    const key = `${path.basename(TEXT_SOURCES[found[0].from])} over ${path.basename(TEXT_SOURCES[other.from])}`;
    const count = disagreements.get(key) ?? { differ: 0, whitespaceOnly: 0 };
    count.differ++;
    if (other.text.replace(/\s+/g, ' ').trim() === found[0].text.replace(/\s+/g, ' ').trim())
      count.whitespaceOnly++;
    disagreements.set(key, count);
  }
}
for (const [file, pids] of [
  [SOURCES.dl19Run, dl19Run.map((f) => f[2])],
  [SOURCES.dev600Run, dev600Run.map((f) => f[1])],
] as const) {
  const missing = pids.filter((pid) => !collection.has(pid));
  if (missing.length > 0)
    throw new Error(`${file}: ${missing.length} ranked pids have no text (first: ${missing[0]})`);
}
const qrelsPidsWithoutText = (qrels: string[][]): number => qrels.filter((f) => !collection.has(f[2])).length;

// 4. Training triples (query, positive, negative as text; MS MARCO publishes them without ids).
readColumns(SOURCES.triples, /\t/, 3, 'query<TAB>positive passage<TAB>negative passage');

fs.mkdirSync(outDir, { recursive: true });
writeLines(
  'collection.tsv',
  [...collection].map(([pid, text]) => `${pid}\t${text}`),
);
copyVerbatim(SOURCES.dl19Queries, 'queries.dl19.tsv');
copyVerbatim(SOURCES.dl19Qrels, 'qrels.dl19.txt');
copyVerbatim(SOURCES.dl19Run, 'run.dl19.bm25.trec');
writeLines(
  'run.dl19.bm25.tsv',
  dl19Run.map(([qid, , pid, rank]) => `${qid}\t${pid}\t${rank}`),
);
for (const [part, member] of [
  ['dev600-train', (qid: string) => !heldOut.has(qid)],
  ['dev600-heldout', (qid: string) => heldOut.has(qid)],
] as const) {
  writeLines(
    `queries.${part}.tsv`,
    [...dev600Queries].filter(([qid]) => member(qid)).map(([qid, text]) => `${qid}\t${text}`),
  );
  writeLines(
    `qrels.${part}.txt`,
    dev600Qrels.filter(([qid]) => member(qid)).map((f) => f.join(' ')),
  );
  writeLines(
    `run.${part}.bm25.tsv`,
    dev600Run.filter(([qid]) => member(qid)).map((f) => f.join('\t')),
  );
}
copyVerbatim(SOURCES.triples, 'triples.train.tsv');

const stale = fs.readdirSync(outDir).filter((name) => name !== 'README.md' && !written.includes(name));
if (stale.length > 0)
  console.warn(`warning: ${outDir} also holds files this script did not write: ${stale.join(', ')}`);
console.log(`collection: ${collection.size} passages (${namedPids.size} pids named by runs and qrels)`);
console.log(`dl19 qrels pids without text: ${qrelsPidsWithoutText(dl19Qrels)} of ${dl19Qrels.length}`);
console.log(`dev600 qrels pids without text: ${qrelsPidsWithoutText(dev600Qrels)} of ${dev600Qrels.length}`);
for (const [key, count] of disagreements) {
  console.log(`text kept from ${key}: ${count.differ} pids (${count.whitespaceOnly} only in whitespace)`);
}
console.log(`dev600 held out (${heldOut.size}): ${[...heldOut].sort(byNumber).join(' ')}`);
