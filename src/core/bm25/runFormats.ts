import type { Bm25Hit } from './bm25Index';

/** MS MARCO run lines: qid \t pid \t rank (rank from 1). */
export function formatMsmarcoRun(qid: string, hits: readonly Bm25Hit[]): string[] {
  return hits.map((hit, i) => `${qid}\t${hit.id}\t${i + 1}`);
}

/** TREC run lines: qid Q0 pid rank score tag (rank from 1, score with 6 decimals as Anserini writes). */
export function formatTrecRun(qid: string, hits: readonly Bm25Hit[], tag: string): string[] {
  if (/\s/.test(tag) || tag.length === 0)
    throw new Error(`TREC run tag must be one non-empty word, got "${tag}"`);
  return hits.map((hit, i) => `${qid} Q0 ${hit.id} ${i + 1} ${hit.score.toFixed(6)} ${tag}`);
}
