import { basename } from 'node:path';
import { CollectionIndex } from './collectionIndex';
import { DataError } from './dataError';
import type { DatasetFiles } from './datasetFiles';
import { readQrels, type Qrels } from './qrels';
import { readQueries, type QuerySet } from './queries';
import { readRun, type Run } from './runs';
import type { ProgressReport, TaskOptions } from '../progress';

/** Something worth telling the user about their files that does not stop them from working. */
export interface DataIssue {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  /** 'info': true of the files but expected of them (a sample's collection that holds only ranked passages). */
  readonly severity?: 'warning' | 'info';
}

/** Issues that ask the user to look (warnings), as opposed to information about the files. */
export function warningsOf(issues: readonly DataIssue[]): DataIssue[] {
  return issues.filter((i) => i.severity !== 'info');
}

export interface Dataset {
  readonly files: DatasetFiles;
  readonly collection?: CollectionIndex;
  readonly queries: readonly QuerySet[];
  readonly qrels: readonly Qrels[];
  readonly runs: readonly Run[];
  readonly issues: readonly DataIssue[];
  /** A failed file does not sink the others: its DataError is kept here. */
  readonly errors: readonly DataError[];
}

export interface DatasetOptions extends TaskOptions {
  readonly indexDir?: string;
}

/** Loads every file of a dataset, checking them against each other (unknown qids, pids outside the collection). */
export async function loadDataset(files: DatasetFiles, options: DatasetOptions = {}): Promise<Dataset> {
  const errors: DataError[] = [];
  const stage = (message: string) => (report: ProgressReport) => options.onProgress?.({ ...report, message });
  const attempt = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DataError) {
        errors.push(error);
        return undefined;
      }
      throw error;
    }
  };
  const collection = files.collection
    ? await attempt(() =>
        CollectionIndex.open(files.collection!, {
          indexDir: options.indexDir,
          signal: options.signal,
          onProgress: stage(`Indexing ${files.collection}`),
        }),
      )
    : undefined;
  const queries = await loadAll(files.queries, (f) => readQueries(f, { signal: options.signal }), attempt);
  const qrels = await loadAll(files.qrels, (f) => readQrels(f, { signal: options.signal }), attempt);
  const runs = await loadAll(
    files.runs,
    (f) => readRun(f, { signal: options.signal, onProgress: stage(`Reading ${f}`) }),
    attempt,
  );
  const dataset = { files, queries, qrels, runs, errors, issues: [] as DataIssue[] };
  const withCollection = collection ? { ...dataset, collection } : dataset;
  withCollection.issues.push(...crossCheck(withCollection));
  return withCollection;
}

async function loadAll<T>(
  files: readonly string[],
  load: (file: string) => Promise<T>,
  attempt: (work: () => Promise<T>) => Promise<T | undefined>,
): Promise<T[]> {
  const out: T[] = [];
  for (const file of files) {
    const loaded = await attempt(() => load(file));
    if (loaded !== undefined) out.push(loaded);
  }
  return out;
}

export function queryText(dataset: Pick<Dataset, 'queries'>, qid: string): string | undefined {
  for (const set of dataset.queries) {
    const text = set.texts.get(qid);
    if (text !== undefined) return text;
  }
  return undefined;
}

function crossCheck(dataset: Omit<Dataset, 'issues'>): DataIssue[] {
  const issues: DataIssue[] = [];
  const knownQid = (qid: string) => dataset.queries.some((q) => q.texts.has(qid));
  if (dataset.queries.length > 0) {
    for (const q of dataset.qrels) {
      const unknown = [...q.judgements.keys()].filter((qid) => !knownQid(qid));
      if (unknown.length > 0) {
        issues.push({
          file: q.file,
          line: q.lineOf.get(unknown[0]),
          message: `${unknown.length} qid(s) have judgements but no query text in ${dataset.queries.map((s) => s.file).join(', ')} (first: qid ${unknown[0]})`,
        });
      }
    }
    for (const r of dataset.runs) {
      const unknown = [...r.rankings.keys()].filter((qid) => !knownQid(qid));
      if (unknown.length > 0) {
        issues.push({
          file: r.file,
          message: `${unknown.length} ranked qid(s) have no query text (first: qid ${unknown[0]})`,
        });
      }
    }
  }
  if (dataset.collection) {
    const collection = dataset.collection;
    const missingJudged: { file: string; text: string }[] = [];
    for (const q of dataset.qrels) {
      let missing = 0;
      let example: string | undefined;
      for (const grades of q.judgements.values()) {
        for (const pid of grades.keys()) {
          if (!collection.has(pid)) {
            missing++;
            example ??= pid;
          }
        }
      }
      if (missing > 0)
        missingJudged.push({
          file: q.file,
          text: `${missing} of ${q.count} judged pids are not in the collection (first: pid ${example})`,
        });
    }
    // A collection cut down to the passages its runs rank (like the bundled sample) lacks judged passages no run
    // retrieved; evaluation needs only their grades, so that is said once, as information.
    const runsCovered =
      dataset.runs.length > 0 &&
      dataset.runs.every((r) =>
        [...r.rankings.values()].every((list) => list.every((c) => collection.has(c.pid))),
      );
    if (runsCovered && missingJudged.length > 0) {
      issues.push({
        file: missingJudged[0].file,
        severity: 'info',
        message:
          `the collection holds every passage the runs rank, but not every judged one: ` +
          missingJudged.map((m) => `${basename(m.file)}: ${m.text}`).join('; ') +
          '. Evaluation uses only the grades; those passages just have no text to show.',
      });
    } else {
      for (const m of missingJudged) issues.push({ file: m.file, message: m.text });
    }
  }
  return issues;
}
