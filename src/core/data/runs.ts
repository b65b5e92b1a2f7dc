import { DataError, quoteForError } from './dataError';
import { readTextLines } from './lineScanner';
import type { TaskOptions } from '../progress';

/**
 * - msmarco: "qid<TAB>pid<TAB>rank" (the official MS MARCO run format; order = rank column)
 * - trec: "qid Q0 pid rank score tag" (order = score descending, ties by pid descending, as trec_eval)
 * - top1000: "qid<TAB>pid<TAB>query<TAB>passage" (candidates without a ranking; order = file order)
 */
export type RunFormat = 'msmarco' | 'trec' | 'top1000';

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

interface RawEntry {
  pid: string;
  rank: number;
  score: number;
  line: number;
}

export function detectRunFormat(file: string, line: string, lineNumber: number): RunFormat {
  const tabs = line.split('\t');
  if (tabs.length === 3 && /^\d+$/.test(tabs[2].trim())) return 'msmarco';
  if (tabs.length === 4) return 'top1000';
  const words = line.trim().split(/\s+/);
  if (words.length === 6 && /^\d+$/.test(words[3]) && isNumber(words[4])) return 'trec';
  throw new DataError(
    file,
    lineNumber,
    'a run line: "qid<TAB>pid<TAB>rank" (MS MARCO), "qid Q0 pid rank score tag" (TREC) or "qid<TAB>pid<TAB>query<TAB>passage" (top1000)',
    quoteForError(line),
  );
}

export async function readRun(file: string, options: TaskOptions = {}): Promise<Run> {
  let format: RunFormat | undefined;
  let tag: string | undefined;
  const entries = new Map<string, RawEntry[]>();
  const seen = new Map<string, Map<string, number>>();
  const { lines } = await readTextLines(
    file,
    (line, lineNumber) => {
      if (line.trim() === '') return;
      format ??= detectRunFormat(file, line, lineNumber);
      const { qid, entry } = parseRunLine(file, format, line, lineNumber);
      if (format === 'trec') tag ??= line.trim().split(/\s+/)[5];
      let pidsOfQuery = seen.get(qid);
      if (!pidsOfQuery) {
        pidsOfQuery = new Map();
        seen.set(qid, pidsOfQuery);
        entries.set(qid, []);
      }
      const first = pidsOfQuery.get(entry.pid);
      if (first !== undefined) {
        throw new DataError(
          file,
          lineNumber,
          `each pid once per query`,
          `pid ${entry.pid} again for qid ${qid} (first on line ${first})`,
        );
      }
      pidsOfQuery.set(entry.pid, lineNumber);
      entries.get(qid)!.push(entry);
    },
    options,
  );
  if (!format) throw new DataError(file, undefined, 'at least one run line', 'an empty file');
  const rankings = new Map<string, RankedCandidate[]>();
  for (const [qid, list] of entries) rankings.set(qid, orderCandidates(file, format, qid, list));
  return { file, format, rankings, lineCount: lines, ...(tag ? { tag } : {}) };
}

function parseRunLine(
  file: string,
  format: RunFormat,
  line: string,
  lineNumber: number,
): { qid: string; entry: RawEntry } {
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
    return {
      qid: w[0],
      entry: { pid: w[2], rank: Number(w[3]), score: Math.fround(Number(w[4])), line: lineNumber },
    };
  }
  const t = line.split('\t');
  if (format === 'msmarco') {
    if (t.length !== 3)
      fail(
        '3 tab-separated columns "qid pid rank" like the first line',
        `${t.length} in ${quoteForError(line)}`,
      );
    const rank = t[2].trim();
    if (!/^\d+$/.test(rank) || Number(rank) < 1)
      fail('a positive integer rank in column 3', quoteForError(rank));
    return {
      qid: t[0].trim(),
      entry: { pid: t[1].trim(), rank: Number(rank), score: NaN, line: lineNumber },
    };
  }
  if (t.length < 4)
    fail(
      '4 tab-separated columns "qid pid query passage" like the first line',
      `${t.length} in ${quoteForError(line)}`,
    );
  return { qid: t[0].trim(), entry: { pid: t[1].trim(), rank: 0, score: NaN, line: lineNumber } };
}

function orderCandidates(file: string, format: RunFormat, qid: string, list: RawEntry[]): RankedCandidate[] {
  if (format === 'trec') {
    list.sort((a, b) => b.score - a.score || (a.pid < b.pid ? 1 : a.pid > b.pid ? -1 : 0));
    return list.map((e, i) => ({ pid: e.pid, rank: i + 1, score: e.score }));
  }
  if (format === 'msmarco') {
    list.sort((a, b) => a.rank - b.rank);
    for (let i = 1; i < list.length; i++) {
      if (list[i].rank === list[i - 1].rank) {
        throw new DataError(
          file,
          list[i].line,
          `distinct ranks per query`,
          `rank ${list[i].rank} twice for qid ${qid} (also line ${list[i - 1].line})`,
        );
      }
    }
    return list.map((e) => ({ pid: e.pid, rank: e.rank }));
  }
  return list.map((e, i) => ({ pid: e.pid, rank: i + 1 }));
}

function isNumber(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}
