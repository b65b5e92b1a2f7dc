import type { AttributionResult, PairAttributionOptions } from '../attribution';
import type { InspectResult, MaskOptions, PairInput } from '../runtime/types';
import type { EncodedPair } from '../text/types';

/**
 * What the attribution and probing analyses need of a model beyond scoring. The in-process
 * InProcessAnalysisModel and the RankerWorkerClient both provide them, so the analyses run unchanged in the
 * CLI, in tests and in the extension's worker.
 */
export interface CanAttribute {
  attribute(pair: EncodedPair, options?: PairAttributionOptions): Promise<AttributionResult>;
}

/** Hidden states of every layer at chosen positions of a pair. */
export interface StatesRequest {
  readonly pair: PairInput;
  readonly positions: readonly number[];
}

export interface CanReadStates {
  /** Per request: [(L + 1), positions, hidden] row-major (layer 0 = embedding output). */
  statesAt(
    requests: readonly StatesRequest[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<Float32Array[]>;
}

/**
 * statesAt on top of a one-pair inspect: only the requested rows of each layer are kept, so a pair's
 * [L + 1, n, h] states and [L, H, n, n] attentions are dropped as soon as they are read.
 */
export async function statesAtByInspect(
  inspect: (pair: PairInput, options?: MaskOptions) => Promise<InspectResult>,
  requests: readonly StatesRequest[],
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const request of requests) {
    signal?.throwIfAborted();
    const result = await inspect(request.pair);
    const { seqLength: n, hiddenSize: h, numLayers: L } = result;
    const rows = request.positions.length;
    const states = new Float32Array((L + 1) * rows * h);
    for (let layer = 0; layer <= L; layer++) {
      request.positions.forEach((p, r) => {
        if (!Number.isInteger(p) || p < 0 || p >= n)
          throw new Error(`position ${p} is outside the pair (0-${n - 1})`);
        const from = (layer * n + p) * h;
        states.set(result.hiddenStates.subarray(from, from + h), (layer * rows + r) * h);
      });
    }
    out.push(states);
  }
  return out;
}
