import { DataError, quoteForError } from './dataError';
import { readTextLines } from './lineScanner';
import type { TaskOptions } from '../progress';

/** A queries file (qid TAB query text per line), loaded whole: even MS MARCO's 1M train queries fit easily. */
export interface QuerySet {
  readonly file: string;
  readonly texts: ReadonlyMap<string, string>;
  /** 1-based line of each qid, for messages that point back into the file. */
  readonly lineOf: ReadonlyMap<string, number>;
}

export async function readQueries(file: string, options: TaskOptions = {}): Promise<QuerySet> {
  const texts = new Map<string, string>();
  const lineOf = new Map<string, number>();
  await readTextLines(
    file,
    (line, lineNumber) => {
      if (line.trim() === '') return;
      const tab = line.indexOf('\t');
      if (tab < 0) {
        throw new DataError(
          file,
          lineNumber,
          'a query line "qid<TAB>query text"',
          `no tab in ${quoteForError(line)}`,
        );
      }
      const qid = line.slice(0, tab).trim();
      if (qid === '' || /\s/.test(qid)) {
        throw new DataError(file, lineNumber, 'a qid without spaces before the tab', quoteForError(qid));
      }
      const first = lineOf.get(qid);
      if (first !== undefined) {
        throw new DataError(file, lineNumber, 'each qid once', `qid ${qid} again (first on line ${first})`);
      }
      texts.set(qid, line.slice(tab + 1).trim());
      lineOf.set(qid, lineNumber);
    },
    options,
  );
  if (texts.size === 0)
    throw new DataError(file, undefined, 'at least one "qid<TAB>query" line', 'an empty file');
  return { file, texts, lineOf };
}
