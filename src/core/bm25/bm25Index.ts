import { analyzeEnglish } from './englishAnalyzer';
import { luceneDocLength } from './smallFloat';

/** Anserini's BM25 parameters tuned for the MS MARCO passage task. */
export const MSMARCO_BM25 = { k1: 0.82, b: 0.68 } as const;

export interface Bm25Options {
  k1: number;
  b: number;
  /** Score with Lucene's one-byte (lossy) document length, as Anserini does. Default true. */
  luceneLengthEncoding?: boolean;
  /** Text analysis; defaults to Anserini's English analyzer. */
  analyze?: (text: string) => string[];
}

export interface Bm25Document {
  id: string;
  text: string;
}

export interface Bm25Hit {
  id: string;
  score: number;
}

interface Posting {
  doc: number;
  tf: number;
}

/**
 * An in-memory inverted index scored exactly like Lucene 8+'s BM25Similarity:
 * idf = ln(1 + (N - df + 0.5) / (df + 0.5)), term score = idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)),
 * with no (k1 + 1) factor, avgdl = total terms / N from exact lengths, and a query term repeated q times
 * weighted q times (Anserini's bag-of-words query). Arithmetic is double precision (Lucene uses float), so
 * scores agree with Anserini to about 6 significant digits.
 */
export class Bm25Index {
  private readonly ids: string[] = [];
  private readonly docLengths: number[] = [];
  private readonly postings = new Map<string, Posting[]>();
  private totalTerms = 0;
  private readonly analyze: (text: string) => string[];
  private readonly k1: number;
  private readonly b: number;
  private readonly lossyLength: boolean;

  constructor(documents: Iterable<Bm25Document>, options: Bm25Options = MSMARCO_BM25) {
    this.k1 = options.k1;
    this.b = options.b;
    this.lossyLength = options.luceneLengthEncoding ?? true;
    this.analyze = options.analyze ?? analyzeEnglish;
    if (!(this.k1 >= 0) || !(this.b >= 0 && this.b <= 1)) {
      throw new RangeError(`BM25 needs k1 >= 0 and 0 <= b <= 1, got k1=${this.k1} b=${this.b}`);
    }
    const seen = new Set<string>();
    for (const document of documents) {
      if (seen.has(document.id)) throw new Error(`duplicate document id ${document.id}`);
      seen.add(document.id);
      this.add(document);
    }
  }

  private add(document: Bm25Document): void {
    const doc = this.ids.length;
    const terms = this.analyze(document.text);
    this.ids.push(document.id);
    this.docLengths.push(terms.length);
    this.totalTerms += terms.length;
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let list = this.postings.get(term);
      if (!list) {
        list = [];
        this.postings.set(term, list);
      }
      list.push({ doc, tf });
    }
  }

  get documentCount(): number {
    return this.ids.length;
  }

  get averageDocLength(): number {
    return this.ids.length === 0 ? 0 : this.totalTerms / this.ids.length;
  }

  documentFrequency(term: string): number {
    return this.postings.get(term)?.length ?? 0;
  }

  idf(term: string): number {
    const df = this.documentFrequency(term);
    return Math.log(1 + (this.ids.length - df + 0.5) / (df + 0.5));
  }

  /** Scores every document sharing a term with the query; documents without a match are absent. */
  scoreAll(query: string): Map<number, number> {
    const queryCounts = new Map<string, number>();
    for (const term of this.analyze(query)) queryCounts.set(term, (queryCounts.get(term) ?? 0) + 1);
    const avgdl = this.averageDocLength;
    const scores = new Map<number, number>();
    for (const [term, queryTf] of queryCounts) {
      const list = this.postings.get(term);
      if (!list) continue;
      const weight = queryTf * this.idf(term);
      for (const { doc, tf } of list) {
        const rawLength = this.docLengths[doc];
        const dl = this.lossyLength ? luceneDocLength(rawLength) : rawLength;
        const norm = this.k1 * (1 - this.b + (this.b * dl) / avgdl);
        scores.set(doc, (scores.get(doc) ?? 0) + (weight * tf) / (tf + norm));
      }
    }
    return scores;
  }

  /** The BM25 score of one document (0 when it shares no term with the query). */
  score(query: string, id: string): number {
    const doc = this.ids.indexOf(id);
    if (doc < 0) throw new Error(`unknown document id ${id}`);
    return this.scoreAll(query).get(doc) ?? 0;
  }

  /** Top-k documents, best first; ties broken by ascending id as Anserini does. */
  search(query: string, k: number): Bm25Hit[] {
    const hits = [...this.scoreAll(query)].map(([doc, score]) => ({ id: this.ids[doc], score }));
    hits.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return hits.slice(0, k);
  }
}
