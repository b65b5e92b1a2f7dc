/** A WordPiece vocabulary: token <-> id, plus where it came from (for error messages). */
export class Vocabulary {
  private constructor(
    private readonly byToken: ReadonlyMap<string, number>,
    private readonly byId: readonly (string | undefined)[],
    /** File (or description) the vocabulary was read from. */
    readonly source: string,
  ) {}

  /**
   * vocab.txt: one token per line, the id is the 0-based line index. As in HF's load_vocab, a later
   * duplicate of a token wins the token -> id direction; every line keeps its own id -> token.
   */
  static fromVocabText(text: string, source = 'vocab.txt'): Vocabulary {
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === 0)
      throw new Error(`${source}: the vocabulary is empty (expected one token per line)`);
    const byToken = new Map<string, number>();
    const byId: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const token = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
      byToken.set(token, i);
      byId.push(token);
    }
    return new Vocabulary(byToken, byId, source);
  }

  /** The `model.vocab` object of a tokenizer.json (token -> id), plus any added tokens. */
  static fromTokenIdMap(entries: Iterable<[string, number]>, source: string): Vocabulary {
    const byToken = new Map<string, number>();
    const byId: (string | undefined)[] = [];
    for (const [token, id] of entries) {
      if (!Number.isInteger(id) || id < 0) {
        throw new Error(
          `${source}: token ${JSON.stringify(token)} has id ${String(id)}, expected an integer >= 0`,
        );
      }
      const holder = byId[id];
      if (holder !== undefined && holder !== token) {
        throw new Error(
          `${source}: id ${id} is given to both ${JSON.stringify(holder)} and ${JSON.stringify(token)}`,
        );
      }
      byToken.set(token, id);
      byId[id] = token;
    }
    if (byToken.size === 0) throw new Error(`${source}: the vocabulary is empty`);
    return new Vocabulary(byToken, byId, source);
  }

  /** Number of ids (the embedding matrix rows the model needs): highest id + 1. */
  get size(): number {
    return this.byId.length;
  }

  id(token: string): number | undefined {
    return this.byToken.get(token);
  }

  token(id: number): string | undefined {
    return this.byId[id];
  }

  entries(): IterableIterator<[string, number]> {
    return this.byToken.entries();
  }

  /** Id of a token the tokenizer cannot work without; the error names the file and the token. */
  requireId(token: string, role: string): number {
    const id = this.byToken.get(token);
    if (id === undefined) {
      throw new Error(`${this.source}: the vocabulary has no ${role} token ${JSON.stringify(token)}`);
    }
    return id;
  }
}
