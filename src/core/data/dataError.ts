/**
 * A problem with a user's data file, phrased so the user can fix it: which file, which line (1-based, when
 * there is one), what was expected and what was found.
 */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(DataError.format(file, line, expected, found));
    this.name = 'DataError';
  }

  static format(file: string, line: number | undefined, expected: string, found?: string): string {
    const where = line === undefined ? file : `${file}:${line}`;
    const what = found === undefined ? '' : `, found ${found}`;
    return `${where}: expected ${expected}${what}`;
  }
}

/** Shows a piece of a line in an error message without flooding it. */
export function quoteForError(text: string, max = 80): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}
