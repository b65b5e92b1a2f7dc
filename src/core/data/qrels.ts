import { DataError, quoteForError } from './dataError';
import { readTextLines } from './lineScanner';
import type { TaskOptions } from '../progress';

/** Relevance judgements: qid -> pid -> grade. */
export interface Qrels {
  readonly file: string;
  readonly judgements: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly lineOf: ReadonlyMap<string, number>;
  readonly count: number;
}

/**
 * Reads TREC qrels ("qid iter pid grade", the iteration column usually 0 or Q0) separated by spaces or
 * tabs, and the two-column "qid pid" form (every listed pair relevant, grade 1).
 */
export async function readQrels(file: string, options: TaskOptions = {}): Promise<Qrels> {
  const judgements = new Map<string, Map<string, number>>();
  const lineOf = new Map<string, number>();
  const pairLine = new Map<string, number>();
  let count = 0;
  let columns: number | undefined;
  await readTextLines(
    file,
    (line, lineNumber) => {
      const fields = line.trim().split(/\s+/);
      if (fields.length === 1 && fields[0] === '') return;
      if (fields.length !== 4 && fields.length !== 2) {
        throw new DataError(
          file,
          lineNumber,
          'a qrels line "qid 0 pid grade" (TREC) or "qid pid"',
          `${fields.length} columns in ${quoteForError(line)}`,
        );
      }
      if (columns !== undefined && fields.length !== columns) {
        throw new DataError(file, lineNumber, `${columns} columns like the lines before`, `${fields.length}`);
      }
      columns = fields.length;
      const [qid, pid, gradeText] =
        fields.length === 4 ? [fields[0], fields[2], fields[3]] : [fields[0], fields[1], '1'];
      // A negative grade (some TREC tracks mark spam with -2) has no meaning for MRR, recall or nDCG's
      // gains; refusing it is clearer than silently reading it as 0.
      if (!/^\d+$/.test(gradeText)) {
        throw new DataError(
          file,
          lineNumber,
          'a relevance grade of 0 or more in column 4',
          quoteForError(gradeText),
        );
      }
      const grade = Number(gradeText);
      let forQuery = judgements.get(qid);
      if (!forQuery) {
        forQuery = new Map();
        judgements.set(qid, forQuery);
        lineOf.set(qid, lineNumber);
      }
      const previous = forQuery.get(pid);
      if (previous !== undefined && previous !== grade) {
        const first = pairLine.get(`${qid}\t${pid}`);
        throw new DataError(
          file,
          lineNumber,
          `one grade per (qid, pid)`,
          `grade ${grade} for qid ${qid}, pid ${pid}, which line ${first} grades ${previous}`,
        );
      }
      if (previous === undefined) {
        count++;
        pairLine.set(`${qid}\t${pid}`, lineNumber);
      }
      forQuery.set(pid, grade);
    },
    options,
  );
  if (count === 0) throw new DataError(file, undefined, 'at least one judgement line', 'an empty file');
  return { file, judgements, lineOf, count };
}

/** The pids judged at least `minGrade` for a query. */
export function relevantPids(qrels: Qrels, qid: string, minGrade = 1): Set<string> {
  const out = new Set<string>();
  for (const [pid, grade] of qrels.judgements.get(qid) ?? []) if (grade >= minGrade) out.add(pid);
  return out;
}
