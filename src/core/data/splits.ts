import * as path from 'node:path';
import type { QuerySet } from './queries';

const ROLE_WORDS = new Set(['queries', 'query', 'topics', 'qrels', 'run', 'runs']);
const DATA_EXTENSIONS = /(\.(tsv|txt|trec|run|jsonl|csv))?(\.gz)?$/i;

/**
 * The split a file's queries belong to, read from its name the way MS MARCO and TREC files are named:
 * the name without its role word and extension ("queries.dev600-heldout.tsv" -> "dev600-heldout",
 * "qrels.dev.small.tsv" -> "dev.small", "topics.dl19-passage.txt" -> "DL19-passage"). TREC DL track years
 * are written as the track writes them (DL19). A name that is only a role word keeps it ("queries.tsv" -> "queries").
 */
export function splitNameOf(file: string): string {
  const stem = path.basename(file).replace(DATA_EXTENSIONS, '');
  const parts = stem.split('.');
  const rest = parts.length > 1 && ROLE_WORDS.has(parts[0].toLowerCase()) ? parts.slice(1) : parts;
  const name = rest.join('.') || stem || path.basename(file);
  return name.replace(/^dl(\d{2})(?=$|\D)/i, 'DL$1');
}

/** qid -> the split(s) of the queries file(s) that hold it ("DL19", or "dev, train" for a qid in two files). */
export function querySplits(queries: readonly QuerySet[]): Map<string, string> {
  const splits = new Map<string, string>();
  for (const set of queries) {
    const name = splitNameOf(set.file);
    for (const qid of set.texts.keys()) {
      const known = splits.get(qid);
      splits.set(qid, known === undefined ? name : `${known}, ${name}`);
    }
  }
  return splits;
}

/**
 * Each qid's split: from the queries files that hold it, else from the name of `fallbackFile` (for an
 * evaluation, the qrels file: "qrels.dev600-heldout.txt" -> "dev600-heldout"), so it works without queries.
 */
export function splitsOfQids(
  qids: Iterable<string>,
  queries: readonly QuerySet[],
  fallbackFile: string,
): Record<string, string> {
  const known = querySplits(queries);
  const fallback = splitNameOf(fallbackFile);
  const out: Record<string, string> = {};
  for (const qid of qids) out[qid] = known.get(qid) ?? fallback;
  return out;
}
