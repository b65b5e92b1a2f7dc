import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { DataError } from './dataError';

export type DatasetFileRole = 'collection' | 'queries' | 'qrels' | 'run';

export interface DatasetFiles {
  readonly collection?: string;
  readonly queries: readonly string[];
  readonly qrels: readonly string[];
  readonly runs: readonly string[];
}

/**
 * Guesses a file's role from its name, the way MS MARCO and TREC files are conventionally named
 * (collection.tsv, queries.dev.small.tsv, qrels.dev.small.tsv, run.bm25.tsv, top1000.dev, *.trec).
 */
export function roleFromName(file: string): DatasetFileRole | undefined {
  const name = path.basename(file).toLowerCase();
  if (/^\./.test(name) || /\.(json|md|txt\.gz|gz|zip|py|js|ts)$/.test(name)) return undefined;
  if (name.includes('qrel')) return 'qrels';
  if (name.includes('collection') || name.includes('corpus')) return 'collection';
  if (name.includes('quer') || name.includes('topics')) return 'queries';
  if (/(^|[._-])(run|runs|top\d+|bm25|rerank|reranked)([._-]|$)/.test(name) || /\.(trec|run)$/.test(name))
    return 'run';
  return undefined;
}

/** Lists the MS MARCO files of a folder (not recursive), by role. */
export async function discoverDatasetFiles(folder: string): Promise<DatasetFiles> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    throw new DataError(folder, undefined, 'a folder of MS MARCO files', 'no such folder');
  }
  const byRole: Record<DatasetFileRole, string[]> = { collection: [], queries: [], qrels: [], run: [] };
  for (const name of names.sort()) {
    const file = path.join(folder, name);
    const role = roleFromName(file);
    if (!role || !(await stat(file)).isFile()) continue;
    byRole[role].push(file);
  }
  if (byRole.collection.length > 1) {
    throw new DataError(
      folder,
      undefined,
      'one collection file per dataset folder',
      byRole.collection.map((f) => path.basename(f)).join(', '),
    );
  }
  const files: DatasetFiles = { queries: byRole.queries, qrels: byRole.qrels, runs: byRole.run };
  return byRole.collection[0] ? { ...files, collection: byRole.collection[0] } : files;
}

/** Sorts loose files (picked one by one) into roles; a file whose name says nothing is taken as a run. */
export function classifyFiles(files: readonly string[]): DatasetFiles {
  const collection = files.filter((f) => roleFromName(f) === 'collection');
  if (collection.length > 1) {
    throw new DataError(
      collection[1],
      undefined,
      'one collection file',
      `also ${path.basename(collection[0])}`,
    );
  }
  const of = (role: DatasetFileRole) => files.filter((f) => (roleFromName(f) ?? 'run') === role);
  const out: DatasetFiles = { queries: of('queries'), qrels: of('qrels'), runs: of('run') };
  return collection[0] ? { ...out, collection: collection[0] } : out;
}
