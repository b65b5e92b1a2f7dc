import type * as ort from 'onnxruntime-node';

export interface CpuSessionSettings {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, the number of physical cores). */
  readonly threads?: number;
  /**
   * Whether idle pool threads spin-wait for work (onnxruntime's default). Spinning is fastest on an idle
   * machine and several times slower where the cores are shared (an editor, a browser and the extension
   * host beside the worker): a spinning thread holds a core the others need (bench/attribution-worker.ts).
   */
  readonly spinning?: boolean;
}

/** The CPU session options every RankLens graph runs with. */
export function cpuSessionOptions(settings: CpuSessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(settings.threads ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : {}),
    ...(settings.spinning === false
      ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }
      : {}),
  };
}
