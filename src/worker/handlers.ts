import { InProcessAnalysisModel } from '../core/analysis/inProcessModel';
import { runAnalysisRequest } from '../core/analysis/runRequest';
import { attribute, BASELINES, type AttributionResult } from '../core/attribution';
import type { Handlers } from '../protocol/endpoint';
import type { PackedAttribution, WorkerProtocol } from '../protocol/worker';
import type { WorkerSession } from './session';

/** The worker's answer to each request of workerProtocol, run on the session's models. */
export function requestHandlers(session: WorkerSession): Handlers<WorkerProtocol, 'view'>['requests'] {
  return {
    load: async ({ dir, options }) => (await session.load(dir, options)).info,
    score: ({ pairs, options }, { id }) =>
      session.cancellable(id, (signal, onProgress) =>
        session.loaded().score(pairs, { ...options, signal, onProgress }),
      ),
    maskDepths: ({ pairs, masks, options }, { id }) =>
      session.cancellable(id, (signal, onProgress) =>
        session.loaded().scoreByMaskDepth(pairs, masks, { ...options, signal, onProgress }),
      ),
    attentionSums: ({ pairs, options }, { id }) =>
      session.cancellable(id, (signal, onProgress) =>
        session.loaded().attentionSums(pairs, { ...options, signal, onProgress }),
      ),
    runAnalysis: ({ request }, { id }) =>
      session.cancellable(id, (signal, onProgress) =>
        runAnalysisRequest(
          request,
          InProcessAnalysisModel.wrap(session.loaded(), () => session.gradientModel(undefined, signal)),
          { signal, onProgress: (r) => onProgress(r.done, r.total ?? 0) },
        ),
      ),
    inspect: ({ pair, options }, { id }) =>
      session.cancellable(id, (signal) => session.loaded().inspect(pair, { ...options, signal })),
    attribute: async ({ pair, options: { baselines = BASELINES, ...options } }, { id }) => {
      const [result] = await session.cancellable(id, async (signal, onProgress) => {
        const { model, padId } = await session.gradientModel(options.batchSize, signal);
        return attribute(
          model,
          [{ ...pair, queryTruncated: false, passageTruncated: false, passageTokenCount: 0 }],
          baselines,
          { ...options, padId, signal, onProgress },
        );
      });
      return packAttribution(result);
    },
    warmGradients: async ({ batchSize }) => {
      await session.gradientModel(batchSize);
      return {};
    },
    dispose: async () => {
      await session.unload();
      return {};
    },
  };
}

/** Every entry's attributions in one transferable Float64Array ([entry, token], row-major). */
function packAttribution(result: AttributionResult): PackedAttribution {
  const width = result.tokens.length;
  const attributions = new Float64Array(result.layers.length * width);
  result.layers.forEach((entry, i) => attributions.set(entry.attributions, i * width));
  return {
    kind: 'attribution',
    result: { ...result, layers: result.layers.map(({ attributions: _, ...rest }) => rest) },
    attributions,
  };
}
