import { DataError, quoteForError } from './dataError';
import { readTextLines } from './lineScanner';
import type { TaskOptions } from '../progress';
import { GrowableFloat32, GrowableUint32 } from './growableArrays';

/**
 * - msmarco: "qid<TAB>pid<TAB>rank" (the official MS MARCO run format; order = rank column)
 * - msmarco-scored: "qid<TAB>pid<TAB>rank<TAB>score" (order = rank column; the score is kept)
 * - trec: "qid Q0 pid rank score tag" (order = score descending, ties by pid descending, as trec_eval)
 * - top1000: "qid<TAB>pid<TAB>query<TAB>passage" (candidates without a ranking; order = file order)
 * Four tab-separated columns are told apart by content: a whole-number rank and a numeric score make a
 * scored run, anything else there is query and passage text.
 */
export type RunFormat = 'msmarco' | 'msmarco-scored' | 'trec' | 'top1000';

/** The formats whose order is their rank column. */
const RANKED_BY_COLUMN: readonly RunFormat[] = ['msmarco', 'msmarco-scored'];
/** The formats that carry a score per line. */
const SCORED: readonly RunFormat[] = ['msmarco-scored', 'trec'];

export interface RankedCandidate {
  readonly pid: string;
  /** 1-based position after ordering as the format prescribes. */
  readonly rank: number;
  /** The run's score (trec), or undefined where the format has none. */
  readonly score?: number;
}

export interface Run {
  readonly file: string;
  readonly format: RunFormat;
  /** qid -> candidates in ranked order. */
  readonly rankings: ReadonlyMap<string, readonly RankedCandidate[]>;
  readonly lineCount: number;
  /** The tag column of a TREC run. */
  readonly tag?: string;
}

/** Codes at or above this are interned pid texts (see PidTable). */
const NUMERIC_PID_LIMIT = 0x80000000;

/**
 * Passage ids as 32-bit codes: a canonical decimal below 2^31 (every MS MARCO pid) is its own code, any
 * other text is interned and coded as 2^31 + its index. 10M candidates then cost 4 bytes each instead of a
 * string per line.
 */
class PidTable {
  private readonly texts: string[] = [];
  private readonly codes = new Map<string, number>();

  encode(pid: string): number {
    if (/^(0|[1-9]\d{0,9})$/.test(pid)) {
      const n = Number(pid);
      if (n < NUMERIC_PID_LIMIT) return n;
    }
    let index = this.codes.get(pid);
    if (index === undefined) {
      index = this.texts.length;
      this.texts.push(pid);
      this.codes.set(pid, index);
    }
    return NUMERIC_PID_LIMIT + index;
  }

  decode(code: number): string {
    return code < NUMERIC_PID_LIMIT ? String(code) : this.texts[code - NUMERIC_PID_LIMIT];
  }
}

/**
 * qid -> candidates, held as typed arrays in ranked order with per-query offsets (about 8 bytes per
 * candidate); each get() builds that query's RankedCandidate objects on demand.
 */
class CompactRankings implements ReadonlyMap<string, readonly RankedCandidate[]> {
  constructor(
    private readonly queryIndex: ReadonlyMap<string, number>,
    private readonly offsets: Uint32Array,
    private readonly pids: Uint32Array,
    private readonly pidTable: PidTable,
    /** msmarco, msmarco-scored: the rank column; otherwise ranks are positions. */
    private readonly ranks: Uint32Array | undefined,
    /** trec, msmarco-scored: the scores (float32, as trec_eval reads them). */
    private readonly scores: Float32Array | undefined,
  ) {}

  get size(): number {
    return this.queryIndex.size;
  }

  has(qid: string): boolean {
    return this.queryIndex.has(qid);
  }

  get(qid: string): RankedCandidate[] | undefined {
    const q = this.queryIndex.get(qid);
    return q === undefined ? undefined : this.candidatesOf(q);
  }

  forEach(
    callback: (
      value: readonly RankedCandidate[],
      key: string,
      map: ReadonlyMap<string, readonly RankedCandidate[]>,
    ) => void,
    thisArg?: unknown,
  ): void {
    for (const [qid, q] of this.queryIndex) callback.call(thisArg, this.candidatesOf(q), qid, this);
  }

  keys(): MapIterator<string> {
    return this.queryIndex.keys();
  }

  values(): MapIterator<readonly RankedCandidate[]> {
    return this.generate((_qid, q) => this.candidatesOf(q));
  }

  entries(): MapIterator<[string, readonly RankedCandidate[]]> {
    return this.generate((qid, q) => [qid, this.candidatesOf(q)] as [string, readonly RankedCandidate[]]);
  }

  [Symbol.iterator](): MapIterator<[string, readonly RankedCandidate[]]> {
    return this.entries();
  }

  private *generate<T>(make: (qid: string, q: number) => T): Generator<T, undefined, unknown> {
    for (const [qid, q] of this.queryIndex) yield make(qid, q);
    return undefined;
  }

  private candidatesOf(q: number): RankedCandidate[] {
    const out: RankedCandidate[] = [];
    for (let k = this.offsets[q]; k < this.offsets[q + 1]; k++) {
      const pid = this.pidTable.decode(this.pids[k]);
      const rank = this.ranks ? this.ranks[k] : k - this.offsets[q] + 1;
      out.push(this.scores ? { pid, rank, score: this.scores[k] } : { pid, rank });
    }
    return out;
  }
}

export function detectRunFormat(file: string, line: string, lineNumber: number): RunFormat {
  const tabs = line.split('\t');
  if (tabs.length === 3 && /^\d+$/.test(tabs[2].trim())) return 'msmarco';
  if (tabs.length === 4)
    return /^\d+$/.test(tabs[2].trim()) && isNumber(tabs[3]) ? 'msmarco-scored' : 'top1000';
  const words = line.trim().split(/\s+/);
  if (words.length === 6 && /^\d+$/.test(words[3]) && isNumber(words[4])) return 'trec';
  throw new DataError(
    file,
    lineNumber,
    'a run line: "qid<TAB>pid<TAB>rank" (MS MARCO), "qid<TAB>pid<TAB>rank<TAB>score", "qid Q0 pid rank score tag" (TREC) or "qid<TAB>pid<TAB>query<TAB>passage" (top1000)',
    quoteForError(line),
  );
}

/** Every candidate line as it was read, in file order, in parallel typed arrays (rank and score: see RunFormat). */
class RawEntries {
  readonly query = new GrowableUint32();
  readonly pid = new GrowableUint32();
  readonly rank = new GrowableUint32();
  readonly score = new GrowableFloat32();
  readonly line = new GrowableUint32();

  constructor(private readonly format: RunFormat) {}

  push(query: number, pid: number, rank: number, score: number, line: number): void {
    this.query.push(query);
    this.pid.push(pid);
    if (RANKED_BY_COLUMN.includes(this.format)) this.rank.push(rank);
    if (SCORED.includes(this.format)) this.score.push(score);
    this.line.push(line);
  }
}

export async function readRun(file: string, options: TaskOptions = {}): Promise<Run> {
  let format: RunFormat | undefined;
  let tag: string | undefined;
  const queryIndex = new Map<string, number>();
  const pidTable = new PidTable();
  let raw: RawEntries | undefined;
  const { lines } = await readTextLines(
    file,
    (line, lineNumber) => {
      if (line.trim() === '') return;
      format ??= detectRunFormat(file, line, lineNumber);
      raw ??= new RawEntries(format);
      const entry = parseRunLine(file, format, line, lineNumber);
      if (format === 'trec') tag ??= line.trim().split(/\s+/)[5];
      let q = queryIndex.get(entry.qid);
      if (q === undefined) {
        q = queryIndex.size;
        queryIndex.set(entry.qid, q);
      }
      raw.push(q, pidTable.encode(entry.pid), entry.rank, entry.score, lineNumber);
    },
    options,
  );
  if (!format || !raw) throw new DataError(file, undefined, 'at least one run line', 'an empty file');
  const rankings = orderRankings(file, format, queryIndex, pidTable, raw);
  return { file, format, rankings, lineCount: lines, ...(tag ? { tag } : {}) };
}

/** Groups the entries by query (file order within a query), checks them, and orders each query's list. */
function orderRankings(
  file: string,
  format: RunFormat,
  queryIndex: ReadonlyMap<string, number>,
  pidTable: PidTable,
  raw: RawEntries,
): CompactRankings {
  const n = raw.query.length;
  const queries = queryIndex.size;
  const offsets = new Uint32Array(queries + 1);
  for (let i = 0; i < n; i++) offsets[raw.query.get(i) + 1]++;
  for (let q = 0; q < queries; q++) offsets[q + 1] += offsets[q];
  const grouped = new Uint32Array(n);
  const fill = offsets.slice(0, queries);
  for (let i = 0; i < n; i++) grouped[fill[raw.query.get(i)]++] = i;
  const qids = [...queryIndex.keys()];
  checkRepeatedPids(file, qids, offsets, grouped, raw, pidTable);
  const pids = new Uint32Array(n);
  const ranks = RANKED_BY_COLUMN.includes(format) ? new Uint32Array(n) : undefined;
  const scores = SCORED.includes(format) ? new Float32Array(n) : undefined;
  for (let q = 0; q < queries; q++) {
    const list = Array.from(grouped.subarray(offsets[q], offsets[q + 1]));
    if (format === 'trec') {
      // trec_eval: score descending, ties by docno descending (strcmp).
      list.sort((a, b) => {
        const byScore = raw.score.get(b) - raw.score.get(a);
        if (byScore !== 0) return byScore;
        const [pa, pb] = [pidTable.decode(raw.pid.get(a)), pidTable.decode(raw.pid.get(b))];
        return pa < pb ? 1 : pa > pb ? -1 : 0;
      });
    } else if (RANKED_BY_COLUMN.includes(format)) {
      list.sort((a, b) => raw.rank.get(a) - raw.rank.get(b));
      for (let i = 1; i < list.length; i++) {
        if (raw.rank.get(list[i]) === raw.rank.get(list[i - 1])) {
          throw new DataError(
            file,
            raw.line.get(list[i]),
            `distinct ranks per query`,
            `rank ${raw.rank.get(list[i])} twice for qid ${qids[q]} (also line ${raw.line.get(list[i - 1])})`,
          );
        }
      }
    }
    list.forEach((entry, k) => {
      const at = offsets[q] + k;
      pids[at] = raw.pid.get(entry);
      if (ranks) ranks[at] = raw.rank.get(entry);
      if (scores) scores[at] = raw.score.get(entry);
    });
  }
  return new CompactRankings(queryIndex, offsets, pids, pidTable, ranks, scores);
}

/** The first line (in file order) that repeats a pid already listed for its query. */
function checkRepeatedPids(
  file: string,
  qids: readonly string[],
  offsets: Uint32Array,
  grouped: Uint32Array,
  raw: RawEntries,
  pidTable: PidTable,
): void {
  let worst: { line: number; found: string } | undefined;
  for (let q = 0; q < qids.length; q++) {
    const firstLine = new Map<number, number>();
    for (let k = offsets[q]; k < offsets[q + 1]; k++) {
      const entry = grouped[k];
      const pid = raw.pid.get(entry);
      const line = raw.line.get(entry);
      const first = firstLine.get(pid);
      if (first === undefined) {
        firstLine.set(pid, line);
        continue;
      }
      if (!worst || line < worst.line) {
        worst = {
          line,
          found: `pid ${pidTable.decode(pid)} again for qid ${qids[q]} (first on line ${first})`,
        };
      }
      break;
    }
  }
  if (worst) throw new DataError(file, worst.line, `each pid once per query`, worst.found);
}

interface ParsedLine {
  readonly qid: string;
  readonly pid: string;
  readonly rank: number;
  readonly score: number;
}

function parseRunLine(file: string, format: RunFormat, line: string, lineNumber: number): ParsedLine {
  const fail = (expected: string, found: string): never => {
    throw new DataError(file, lineNumber, expected, found);
  };
  if (format === 'trec') {
    const w = line.trim().split(/\s+/);
    if (w.length !== 6)
      fail(
        '6 columns "qid Q0 pid rank score tag" like the first line',
        `${w.length} in ${quoteForError(line)}`,
      );
    if (!/^\d+$/.test(w[3])) fail('an integer rank in column 4', quoteForError(w[3]));
    if (!isNumber(w[4])) fail('a numeric score in column 5', quoteForError(w[4]));
    // trec_eval reads scores as C floats; rounding the same way makes its ties ours.
    return { qid: w[0], pid: w[2], rank: Number(w[3]), score: Math.fround(Number(w[4])) };
  }
  const t = line.split('\t');
  if (RANKED_BY_COLUMN.includes(format)) {
    const scored = format === 'msmarco-scored';
    if (t.length !== (scored ? 4 : 3))
      fail(
        scored
          ? '4 tab-separated columns "qid pid rank score" like the first line'
          : '3 tab-separated columns "qid pid rank" like the first line',
        `${t.length} in ${quoteForError(line)}`,
      );
    const rank = t[2].trim();
    if (!/^\d+$/.test(rank) || Number(rank) < 1 || Number(rank) > 0xffffffff)
      fail('a positive integer rank in column 3', quoteForError(rank));
    if (scored && !isNumber(t[3])) fail('a numeric score in column 4', quoteForError(t[3]));
    const score = scored ? Math.fround(Number(t[3])) : NaN;
    return { qid: t[0].trim(), pid: t[1].trim(), rank: Number(rank), score };
  }
  if (t.length < 4)
    fail(
      '4 tab-separated columns "qid pid query passage" like the first line',
      `${t.length} in ${quoteForError(line)}`,
    );
  return { qid: t[0].trim(), pid: t[1].trim(), rank: 0, score: NaN };
}

function isNumber(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}
