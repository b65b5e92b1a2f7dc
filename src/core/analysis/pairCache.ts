/**
 * Results per (model, qid, pid), for hovers and decorations that ask again for pairs they have seen. Keyed
 * by the checkpoint's content fingerprint, so a changed or re-selected model never serves stale numbers:
 * `useModel` drops every entry of another model. Least recently used entries go first past `capacity`.
 *
 * A computation in flight is shared by everyone asking for the same key, and aborted only when every one
 * of them has given up (a hover that goes away cancels its share, not a decoration waiting on the same
 * pair). Failures are not cached.
 */
export class ModelPairCache<V> {
  private readonly done = new Map<string, V>();
  private readonly pending = new Map<string, Pending<V>>();
  private model: string | undefined;

  constructor(readonly capacity = 2000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity ${capacity} must be a positive integer`);
  }

  /** The model whose entries are kept; switching drops the others' (and aborts their computations). */
  useModel(fingerprint: string): void {
    if (fingerprint === this.model) return;
    this.model = fingerprint;
    this.clear();
  }

  clear(): void {
    this.done.clear();
    for (const p of this.pending.values()) p.controller.abort(new Error('the model changed'));
    this.pending.clear();
  }

  get size(): number {
    return this.done.size;
  }

  get(fingerprint: string, qid: string, pid: string, variant = ''): V | undefined {
    const key = keyOf(fingerprint, qid, pid, variant);
    const value = this.done.get(key);
    if (value !== undefined) {
      // Refresh its place in the LRU order.
      this.done.delete(key);
      this.done.set(key, value);
    }
    return value;
  }

  set(fingerprint: string, qid: string, pid: string, value: V, variant = ''): void {
    if (this.model !== undefined && fingerprint !== this.model) return;
    const key = keyOf(fingerprint, qid, pid, variant);
    this.done.delete(key);
    this.done.set(key, value);
    while (this.done.size > this.capacity) this.done.delete(this.done.keys().next().value as string);
  }

  /** The cached value, or `compute`'s (started once however many ask while it runs). */
  async getOrCompute(
    fingerprint: string,
    qid: string,
    pid: string,
    compute: (signal: AbortSignal) => Promise<V>,
    options: { readonly signal?: AbortSignal; readonly variant?: string } = {},
  ): Promise<V> {
    const variant = options.variant ?? '';
    const cached = this.get(fingerprint, qid, pid, variant);
    if (cached !== undefined) return cached;
    options.signal?.throwIfAborted();
    const key = keyOf(fingerprint, qid, pid, variant);
    let entry = this.pending.get(key);
    if (!entry) {
      const controller = new AbortController();
      const created: Pending<V> = { controller, waiters: 0, promise: Promise.resolve(undefined as V) };
      created.promise = compute(controller.signal).then(
        (value) => {
          if (this.pending.get(key) === created) {
            this.pending.delete(key);
            this.set(fingerprint, qid, pid, value, variant);
          }
          return value;
        },
        (error: unknown) => {
          if (this.pending.get(key) === created) this.pending.delete(key);
          throw error;
        },
      );
      entry = created;
      this.pending.set(key, entry);
    }
    const shared = entry;
    shared.waiters++;
    const signal = options.signal;
    if (!signal) return shared.promise;
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        if (--shared.waiters === 0) shared.controller.abort(signal.reason);
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(
        (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
        (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error as Error)),
      );
    });
  }
}

interface Pending<V> {
  readonly controller: AbortController;
  waiters: number;
  promise: Promise<V>;
}

function keyOf(fingerprint: string, qid: string, pid: string, variant: string): string {
  return JSON.stringify([fingerprint, qid, pid, variant]);
}
