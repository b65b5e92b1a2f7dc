// Where a run's or qrels file's query blocks start (no `vscode` import, so it is unit-tested on its own).

/** Lines looked back over for the previous pair line (blank or malformed lines between two pairs are rare). */
const LOOK_BACK = 8;

/**
 * The lines in [from, to] that open a query block: a line naming a pair whose qid differs from that of the
 * nearest pair line above it (or with none above). `qidOfLine` is the qid a line names, if any.
 */
export function queryBlockStarts(
  from: number,
  to: number,
  qidOfLine: (line: number) => string | undefined,
): number[] {
  const starts: number[] = [];
  let previous: string | undefined;
  for (let line = from - 1; line >= Math.max(0, from - LOOK_BACK); line--) {
    previous = qidOfLine(line);
    if (previous !== undefined) break;
  }
  for (let line = from; line <= to; line++) {
    const qid = qidOfLine(line);
    if (qid === undefined) continue;
    if (qid !== previous) starts.push(line);
    previous = qid;
  }
  return starts;
}
