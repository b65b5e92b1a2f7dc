import type { QueryCandidates } from '../../src/core/analysis/attribution/layerAttribution';
import { CollectionIndex } from '../../src/core/data/collectionIndex';
import { readQrels } from '../../src/core/data/qrels';
import { readQueries } from '../../src/core/data/queries';
import { readRun } from '../../src/core/data/runs';
import type { PairEncoder } from '../../src/core/runtime/text';
import { sharedFile } from './paths';

/**
 * Real dev.small queries with their BM25 top-20 candidates and labels (../shared/data dev600), encoded:
 * `count` queries from `offset` in file order, `depth` candidates each.
 */
export async function dev600Queries(
  encode: PairEncoder,
  { offset = 0, count = 4, depth = 20 }: { offset?: number; count?: number; depth?: number } = {},
): Promise<QueryCandidates[]> {
  const dir = ['msmarco', 'dev600_bm25_top20'];
  const [queries, qrels, run, collection] = await Promise.all([
    readQueries(sharedFile(...dir, 'queries.dev600.tsv')),
    readQrels(sharedFile(...dir, 'qrels.dev600.txt')),
    readRun(sharedFile(...dir, 'run.dev600.bm25-top20.tsv')),
    CollectionIndex.open(sharedFile(...dir, 'collection.dev600-bm25-top20.tsv')),
  ]);
  const qids = [...queries.texts.keys()].slice(offset, offset + count);
  const out: QueryCandidates[] = [];
  for (const qid of qids) {
    const ranking = (run.rankings.get(qid) ?? []).slice(0, depth);
    const passages = await collection.getMany(ranking.map((c) => c.pid));
    const relevant = qrels.judgements.get(qid) ?? new Map<string, number>();
    out.push({
      qid,
      candidates: ranking.map((c, i) => ({
        pid: c.pid,
        pair: encode(queries.texts.get(qid)!, passages[i]!.text),
        relevant: (relevant.get(c.pid) ?? 0) >= 1,
      })),
    });
  }
  return out;
}
