import { availableParallelism } from 'node:os';
import type * as ort from 'onnxruntime-node';
import { executionProviders, type Device } from './device';

export interface CpuSessionSettings {
  /** onnxruntime intra-op threads (default: onnxruntime's choice, the number of physical cores). */
  readonly threads?: number;
  /**
   * Whether idle pool threads spin-wait for work (onnxruntime's default). Spinning is fastest on an idle
   * machine and several times slower where the cores are shared (an editor, a browser and the extension
   * host beside the worker): a spinning thread holds a core the others need (bench/attribution-worker.ts).
   */
  readonly spinning?: boolean;
  /** onnxruntime execution provider: cpu (the default) or cuda where onnxruntime-node has its CUDA provider. */
  readonly device?: Device;
}

/**
 * The session options every RankLens graph runs with (the thread settings are the CPU provider's; with cuda the
 * CPU provider runs only what CUDA lacks). Throws DeviceUnavailableError for cuda where it cannot run.
 */
export function cpuSessionOptions(settings: CpuSessionSettings): ort.InferenceSession.SessionOptions {
  // More threads than cores only slows a run, and onnxruntime reserves memory per thread up front.
  const threads = settings.threads ? Math.min(settings.threads, availableParallelism()) : undefined;
  return {
    executionProviders: executionProviders(settings.device ?? 'cpu'),
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    ...(settings.spinning === false
      ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }
      : {}),
  };
}
