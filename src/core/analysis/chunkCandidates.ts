// A chunk's candidates encoded with their queries, flat (the analyses that score every candidate) or per query
// (those that pick pairs within a query), and how a query's ranking is read back out of the flat scores.
import type { EncodedPair } from '../text/types';
import type { AnalysisContext, Chunk } from './analysis';
import { reciprocalRank } from './ranking';

/** Every candidate of the chunk encoded with its query, query by query. */
export function encodeChunkPairs(chunk: Chunk, context: AnalysisContext): EncodedPair[] {
  return chunk.items.flatMap((item) => item.candidates.map((c) => context.encode(item.text, c.text)));
}

/**
 * Progress for an analysis that scores a chunk's `pairCount` pairs in several passes (`passes` pair scorings
 * in all, one per pair and setting): each report is the share of the passes done, in pairs, so the count
 * shown ("N/total pairs") never runs past the number of pairs.
 */
export function progressInPairs(
  context: AnalysisContext,
  pairCount: number,
  passes: number,
): (passesDone: number) => void {
  return (passesDone) =>
    context.onPairs?.(Math.min(pairCount, Math.floor((passesDone / Math.max(1, passes)) * pairCount)));
}

/**
 * Each query's reciprocal rank (its MRR@10 term) under `scores`, one score per candidate in the order of
 * encodeChunkPairs.
 */
export function reciprocalRanksByQuery(
  chunk: Chunk,
  scores: readonly number[],
  minRelevance: number,
): number[] {
  let start = 0;
  return chunk.items.map((item) => {
    const end = start + item.candidates.length;
    const pids = item.candidates.map((c) => c.pid);
    const grades = item.candidates.map((c) => c.grade);
    const rr = reciprocalRank(pids, scores.slice(start, end), grades, minRelevance);
    start = end;
    return rr;
  });
}

/** One query with its candidate passages, already encoded, and which of them are relevant. */
export interface QueryCandidates {
  readonly qid: string;
  readonly candidates: readonly {
    readonly pid: string;
    readonly pair: EncodedPair;
    readonly relevant: boolean;
  }[];
}

/** The chunk's query items as encoded candidate lists with relevance flags. */
export function encodeChunk(chunk: Chunk, context: AnalysisContext): QueryCandidates[] {
  return chunk.items.map((item) => ({
    qid: item.qid,
    candidates: item.candidates.map((c) => ({
      pid: c.pid,
      pair: context.encode(item.text, c.text),
      relevant: c.grade >= context.minRelevance,
    })),
  }));
}
