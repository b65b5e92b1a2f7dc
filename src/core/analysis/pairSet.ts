import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { CollectionIndex } from '../data/collectionIndex';
import { DataError } from '../data/dataError';
import { readQrels, type Qrels } from '../data/qrels';
import { readQueries } from '../data/queries';
import { readRun, type Run } from '../data/runs';
import type { TaskOptions } from '../progress';
import { checkSeed, seededShuffle } from '../random';

/**
 * Which pairs an analysis looks at. 'candidates': each query's run candidates (top `depth`), labelled from the
 * qrels (re-ranking, masking: anything scored by MRR@10). 'relevant': each query's passages judged at least
 * `minRelevance` (inside the run's top `depth` when a run is given), as the paper's attention, attribution and
 * probing statistics use.
 */
export type PairSelection = 'candidates' | 'relevant';

export interface PairSetSpec {
  readonly collection: string;
  readonly queries: string;
  readonly qrels?: string;
  readonly run?: string;
  readonly selection: PairSelection;
  /** Candidates kept per query from the run (default: all). */
  readonly depth?: number;
  /** Queries drawn at random (seeded) from the judged queries; default: all of them. */
  readonly sample?: number;
  /** Seed of the query sample (default 1). */
  readonly seed?: number;
  /** Grade at or above which a passage counts as relevant (default 1; TREC DL uses 2). */
  readonly minRelevance?: number;
}

export interface Candidate {
  readonly pid: string;
  readonly text: string;
  /** 1-based rank in the run (relevant pairs without a run: position in the qrels). */
  readonly rank: number;
  /** The run's own score (TREC runs), when it has one. */
  readonly runScore?: number;
  /** The qrels grade; 0 when unjudged. */
  readonly grade: number;
}

/** One query with its pairs: the unit that chunks are made of. */
export interface QueryItem {
  readonly qid: string;
  readonly text: string;
  readonly candidates: readonly Candidate[];
  /** Every judgement of this query (pid, grade), so metrics need nothing else (nDCG's ideal, recall). */
  readonly judgements: readonly (readonly [string, number])[];
}

export interface PairSet {
  readonly items: readonly QueryItem[];
  /** sha256 of each item's content, in item order (chunk cache keys are built from these). */
  readonly itemHashes: readonly string[];
  /** sha256 over the items and the selection settings: changes whenever any text, label or candidate does. */
  readonly fingerprint: string;
  /** What the set was made from, for result files (base names: shards on other machines have other paths). */
  readonly description: PairSetDescription;
  /** The files it was read from (absolute paths): an analysis never writes its results over one of them. */
  readonly sourceFiles?: readonly string[];
}

export interface PairSetDescription {
  readonly selection: PairSelection;
  readonly files: Readonly<Record<string, string>>;
  readonly depth: number | null;
  readonly sample: number | null;
  readonly seed: number;
  readonly minRelevance: number;
  readonly queries: number;
  readonly pairs: number;
  /**
   * Queries of the qrels (or, without qrels, the run) left out because the queries file has no text for
   * them; absent when there are none.
   */
  readonly queriesWithoutText?: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Loads the queries, judgements, run and passage texts an analysis needs, in a fixed order. */
export async function loadPairSet(spec: PairSetSpec, options: TaskOptions = {}): Promise<PairSet> {
  const minRelevance = spec.minRelevance ?? 1;
  const seed = spec.seed ?? 1;
  checkPositive(spec.depth, 'depth');
  checkPositive(spec.sample, 'sample');
  checkSeed(seed, 'sample seed');
  if (!spec.qrels && !spec.run) throw new Error('a pair set needs qrels, a run or both');
  if (spec.selection === 'relevant' && !spec.qrels) throw new Error('relevant pairs need qrels');
  if (spec.selection === 'candidates' && !spec.run) throw new Error('candidate pairs need a run');
  const [queries, qrels, run] = await Promise.all([
    readQueries(spec.queries, options),
    spec.qrels ? readQrels(spec.qrels, options) : undefined,
    spec.run ? readRun(spec.run, options) : undefined,
  ]);
  const listed = [...(qrels ? qrels.judgements.keys() : (run as Run).rankings.keys())];
  // As trec_eval evaluates the queries a run has, an analysis looks at the queries the queries file has:
  // a file of 12 chosen queries with the full qrels and run analyses those 12, and says so.
  const universe = listed.filter((qid) => queries.texts.has(qid));
  if (universe.length === 0) {
    const source = qrels ? qrels.file : (run as Run).file;
    throw new DataError(
      spec.queries,
      undefined,
      `the text of at least one of the ${listed.length} queries in ${source}`,
      'none of them',
    );
  }
  const chosen = sampleInOrder(universe, spec.sample, seed);
  const collection = await CollectionIndex.open(spec.collection, options);
  const items: QueryItem[] = [];
  for (const qid of chosen) {
    const judged = qrels?.judgements.get(qid) ?? new Map<string, number>();
    const wanted = candidatesOf(qid, spec, run, qrels, minRelevance);
    const passages = await collection.getMany(wanted.map((c) => c.pid));
    const candidates = wanted.map((c, i) => {
      const passage = passages[i];
      if (!passage) {
        const where = spec.selection === 'candidates' || run ? (run as Run).file : (qrels as Qrels).file;
        throw new DataError(where, undefined, `passage ${c.pid} (qid ${qid}) in ${spec.collection}`, 'none');
      }
      const grade = judged.get(c.pid) ?? 0;
      return {
        pid: c.pid,
        text: passage.text,
        rank: c.rank,
        ...(c.runScore !== undefined ? { runScore: c.runScore } : {}),
        grade,
      };
    });
    items.push({ qid, text: queries.texts.get(qid) as string, candidates, judgements: [...judged] });
  }
  const itemHashes = items.map((item) => sha256(JSON.stringify(item)));
  const description: PairSetDescription = {
    selection: spec.selection,
    files: Object.fromEntries(
      (['collection', 'queries', 'qrels', 'run'] as const)
        .filter((k) => spec[k] !== undefined)
        .map((k) => [k, path.basename(spec[k] as string)]),
    ),
    depth: spec.depth ?? null,
    sample: spec.sample ?? null,
    seed,
    minRelevance,
    queries: items.length,
    pairs: items.reduce((n, item) => n + item.candidates.length, 0),
    ...(universe.length < listed.length ? { queriesWithoutText: listed.length - universe.length } : {}),
  };
  const fingerprint = sha256(
    JSON.stringify({ selection: spec.selection, minRelevance, depth: spec.depth ?? null, itemHashes }),
  );
  const sourceFiles = (['collection', 'queries', 'qrels', 'run'] as const)
    .map((k) => spec[k])
    .filter((file): file is string => file !== undefined)
    .map((file) => path.resolve(file));
  return { items, itemHashes, fingerprint, description, sourceFiles };
}

interface Wanted {
  readonly pid: string;
  readonly rank: number;
  readonly runScore?: number;
}

function candidatesOf(
  qid: string,
  spec: PairSetSpec,
  run: Run | undefined,
  qrels: Qrels | undefined,
  minRelevance: number,
): Wanted[] {
  const ranked = run ? (run.rankings.get(qid) ?? []).slice(0, spec.depth ?? Infinity) : undefined;
  if (spec.selection === 'candidates') {
    return (ranked ?? []).map((c) => ({
      pid: c.pid,
      rank: c.rank,
      ...(c.score !== undefined && !Number.isNaN(c.score) ? { runScore: c.score } : {}),
    }));
  }
  const judged = qrels?.judgements.get(qid) ?? new Map<string, number>();
  if (ranked) return ranked.filter((c) => (judged.get(c.pid) ?? 0) >= minRelevance);
  return [...judged].filter(([, grade]) => grade >= minRelevance).map(([pid], i) => ({ pid, rank: i + 1 }));
}

/** `size` items drawn without replacement by a seeded shuffle, returned in their original order. */
export function sampleInOrder<T>(items: readonly T[], size: number | undefined, seed: number): T[] {
  if (size === undefined || size >= items.length) return [...items];
  const order = seededShuffle(
    items.map((_, i) => i),
    seed,
  );
  return order
    .slice(0, size)
    .sort((a, b) => a - b)
    .map((i) => items[i]);
}

function checkPositive(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1))
    throw new Error(`${name} must be a positive integer, got ${value}`);
}

/**
 * One pair set from a training set and a held-out set (loaded separately), the training queries first;
 * the fingerprint covers both. Queries in both sets are refused: the probe would be evaluated on them.
 */
export function concatPairSets(train: PairSet, heldOut: PairSet): PairSet {
  const trainQids = new Set(train.items.map((i) => i.qid));
  const shared = heldOut.items.filter((i) => trainQids.has(i.qid)).map((i) => i.qid);
  if (shared.length > 0)
    throw new Error(
      `training and held-out queries must be disjoint; both have ${shared.slice(0, 5).join(', ')}`,
    );
  const description: { -readonly [K in keyof PairSetDescription]: PairSetDescription[K] } = {
    ...heldOut.description,
    files: Object.fromEntries([
      ...Object.entries(train.description.files).map(([k, v]) => [`train-${k}`, v]),
      ...Object.entries(heldOut.description.files).map(([k, v]) => [`heldout-${k}`, v]),
    ]),
    queries: train.description.queries + heldOut.description.queries,
    pairs: train.description.pairs + heldOut.description.pairs,
  };
  const withoutText =
    (train.description.queriesWithoutText ?? 0) + (heldOut.description.queriesWithoutText ?? 0);
  if (withoutText > 0) description.queriesWithoutText = withoutText;
  return {
    items: [...train.items, ...heldOut.items],
    itemHashes: [...train.itemHashes, ...heldOut.itemHashes],
    fingerprint: createHash('sha256').update(`${train.fingerprint}\n${heldOut.fingerprint}`).digest('hex'),
    description,
    sourceFiles: [...(train.sourceFiles ?? []), ...(heldOut.sourceFiles ?? [])],
  };
}
