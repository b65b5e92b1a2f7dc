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
