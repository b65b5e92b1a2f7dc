import type { DatasetFileRole } from './datasetFiles';
import { detectRunFormat, type RunFormat } from './runs';

/** What one line of a dataset file names, for hovers and lenses on the file in an editor. */
export type LineReference =
  /** A collection line "pid<TAB>passage"; `textStart` is the passage's UTF-16 offset in the line. */
  | { readonly kind: 'passage'; readonly pid: string; readonly text: string; readonly textStart: number }
  /** A queries line "qid<TAB>query". */
  | { readonly kind: 'query'; readonly qid: string; readonly text: string }
  /** A qrels line "qid 0 pid grade" (tabs or spaces) or "qid pid" (grade 1). */
  | { readonly kind: 'judgement'; readonly qid: string; readonly pid: string; readonly grade: number }
  /** A run line in one of the run formats; top1000 lines carry both texts (`textStart`: the passage's). */
  | {
      readonly kind: 'candidate';
      readonly format: RunFormat;
      readonly qid: string;
      readonly pid: string;
      readonly rank?: number;
      readonly score?: number;
      readonly query?: string;
      readonly passage?: string;
      readonly textStart?: number;
    };

/**
 * The ids (and texts) on one line of a file with the given role, by the same column rules the file
 * readers apply (src/core/data/qrels.ts, runs.ts). Lenient: a blank or malformed line gives undefined
 * (the file readers report those with file and line; an editor hover just shows nothing).
 */
export function referenceOfLine(role: DatasetFileRole, rawLine: string): LineReference | undefined {
  const line = rawLine.replace(/\r$/, '');
  if (line.trim() === '') return undefined;
  switch (role) {
    case 'collection': {
      const tab = line.indexOf('\t');
      if (tab <= 0) return undefined;
      const pid = line.slice(0, tab).trim();
      return pid ? { kind: 'passage', pid, text: line.slice(tab + 1), textStart: tab + 1 } : undefined;
    }
    case 'queries': {
      const tab = line.indexOf('\t');
      if (tab <= 0) return undefined;
      const qid = line.slice(0, tab).trim();
      return qid ? { kind: 'query', qid, text: line.slice(tab + 1) } : undefined;
    }
    case 'qrels': {
      const fields = line.trim().split(/\s+/);
      if (fields.length === 4) {
        const grade = Number(fields[3]);
        return Number.isInteger(grade)
          ? { kind: 'judgement', qid: fields[0], pid: fields[2], grade }
          : undefined;
      }
      return fields.length === 2
        ? { kind: 'judgement', qid: fields[0], pid: fields[1], grade: 1 }
        : undefined;
    }
    case 'run': {
      let format: RunFormat;
      try {
        format = detectRunFormat('', line, 0);
      } catch {
        return undefined;
      }
      if (format === 'trec') {
        const w = line.trim().split(/\s+/);
        return { kind: 'candidate', format, qid: w[0], pid: w[2], rank: Number(w[3]), score: Number(w[4]) };
      }
      const t = line.split('\t');
      if (format === 'msmarco')
        return { kind: 'candidate', format, qid: t[0].trim(), pid: t[1].trim(), rank: Number(t[2].trim()) };
      if (format === 'msmarco-scored') {
        const [qid, pid, rank, score] = t.map((column) => column.trim());
        return { kind: 'candidate', format, qid, pid, rank: Number(rank), score: Number(score) };
      }
      const textStart = t[0].length + t[1].length + t[2].length + 3;
      return {
        kind: 'candidate',
        format,
        qid: t[0].trim(),
        pid: t[1].trim(),
        query: t[2],
        passage: t.slice(3).join('\t'),
        textStart,
      };
    }
  }
}
