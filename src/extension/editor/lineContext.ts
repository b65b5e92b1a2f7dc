import * as vscode from 'vscode';
import { roleFromName, referenceOfLine, type DatasetFileRole, type LineReference } from '../../core/data';
import type { ActiveSelectionState } from '../activeSelection';
import type { DatasetController } from '../datasetController';
import type { PairRef } from './pairInsights';

/** Files the editor surfaces apply to: MS MARCO / TREC files on disk, by their conventional names. */
export const DATASET_FILE_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.{tsv,trec,txt,run,dev,eval,train,test}' },
  { scheme: 'file', pattern: '**/{qrels,top1000,run}*' },
];

export function roleOfDocument(document: vscode.TextDocument): DatasetFileRole | undefined {
  return document.uri.scheme === 'file' ? roleFromName(document.fileName) : undefined;
}

/** What a line of a dataset file is about, with the pair it names (texts from the line or the dataset). */
export interface LineContext {
  readonly role: DatasetFileRole;
  readonly reference: LineReference;
  /** The pair: for collection lines with the active query; undefined where a text is unknown. */
  readonly pair?: PairRef;
  /** Judged grade of the pair, where the open qrels have one. */
  readonly grade?: number;
  /** Where the passage text starts in the line (collection and top1000 lines), for decorations. */
  readonly passageStart?: number;
  readonly missing?: string;
}

export async function lineContext(
  document: vscode.TextDocument,
  line: number,
  datasets: DatasetController,
  active: ActiveSelectionState,
): Promise<LineContext | undefined> {
  const role = roleOfDocument(document);
  if (!role) return undefined;
  const reference = referenceOfLine(role, document.lineAt(line).text);
  if (!reference) return undefined;
  const dataset = datasets.dataset;
  const queryOf = (qid: string) => {
    for (const set of dataset?.queries ?? []) {
      const text = set.texts.get(qid);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  const gradeOf = (qid: string | undefined, pid: string) => {
    if (qid === undefined) return undefined;
    for (const q of dataset?.qrels ?? []) {
      const grade = q.judgements.get(qid)?.get(pid);
      if (grade !== undefined) return grade;
    }
    return undefined;
  };
  switch (reference.kind) {
    case 'query':
      return { role, reference };
    case 'passage': {
      const query = active.current.query;
      if (!query) return { role, reference, passageStart: reference.textStart, missing: 'no active query' };
      return {
        role,
        reference,
        passageStart: reference.textStart,
        pair: { qid: query.qid, pid: reference.pid, query: query.text, passage: reference.text },
        grade: gradeOf(query.qid, reference.pid),
      };
    }
    case 'judgement':
    case 'candidate': {
      const { qid, pid } = reference;
      const query = (reference.kind === 'candidate' ? reference.query : undefined) ?? queryOf(qid);
      const passage =
        (reference.kind === 'candidate' ? reference.passage : undefined) ??
        (await dataset?.collection?.get(pid))?.text;
      const grade = reference.kind === 'judgement' ? reference.grade : gradeOf(qid, pid);
      const passageStart = reference.kind === 'candidate' ? reference.textStart : undefined;
      if (query === undefined || passage === undefined) {
        const missing = !dataset
          ? 'no dataset is open'
          : query === undefined
            ? `qid ${qid} has no query text in the open dataset`
            : `pid ${pid} is not in the open collection`;
        return { role, reference, grade, passageStart, missing };
      }
      return { role, reference, grade, passageStart, pair: { qid, pid, query, passage } };
    }
  }
}
