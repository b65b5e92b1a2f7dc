/** Progress and cancellation shared by every long-running core operation. */
export interface ProgressReport {
  /** Work done so far, in `unit`s. */
  readonly done: number;
  /** Total work in `unit`s, when known. */
  readonly total?: number;
  readonly unit: string;
  readonly message?: string;
}

export interface TaskOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (report: ProgressReport) => void;
}

export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** Calls `report` at most every `intervalMs`, plus once at the end, so hot loops can report cheaply. */
export function throttledProgress(
  onProgress: ((report: ProgressReport) => void) | undefined,
  intervalMs = 200,
): { report(report: ProgressReport): void; flush(report: ProgressReport): void } {
  let last = 0;
  return {
    report(report) {
      if (!onProgress) return;
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        onProgress(report);
      }
    },
    flush(report) {
      onProgress?.(report);
    },
  };
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One signal for a call: aborted when the caller's signal is (with its reason, or a CancelledError) or when
 * `timeoutMs` have passed (with a TimeoutError). dispose() drops the timer and the listener once the call
 * has settled.
 */
export function callSignal(
  options: { readonly signal?: AbortSignal; readonly timeoutMs?: number },
  what: string,
): { readonly signal: AbortSignal | undefined; dispose(): void } {
  const { signal, timeoutMs } = options;
  if (timeoutMs === undefined) return { signal, dispose: () => undefined };
  if (!(timeoutMs > 0)) throw new RangeError(`timeout for ${what} must be positive, got ${timeoutMs}`);
  const controller = new AbortController();
  const onAbort = () => controller.abort(abortReason(signal, what));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new TimeoutError(what, timeoutMs)), timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** The error an aborted call rejects with: the signal's own Error reason, else a CancelledError. */
export function abortReason(signal: AbortSignal | undefined, what: string): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? reason : new CancelledError(what);
}
