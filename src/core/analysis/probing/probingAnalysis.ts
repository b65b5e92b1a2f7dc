import { checkSeed } from '../../random';
import type { Analysis } from '../analysis';
import { encodeChunk } from '../chunkCandidates';
import { PROBE_DEFAULTS } from './probe';
import {
  extractProbingFeatures,
  mergeProbingFeatures,
  trainAndEvaluateProbes,
  type ProbePooling,
  type ProbingFeatures,
  type ProbingResult,
  type ProbingSplit,
  type StatesModel,
} from './probing';
import type { CanReadStates } from '../modelCapabilities';
import { ZHAN_STOP_WORDS } from './stopWords';
import { PROBE_GROUPS } from '../tokenGroups';

/**
 * Analysis 3 for the runner: `ranklens analyze probing`. Its pair set holds the training queries AND the
 * held-out queries (concatPairSets); `heldOut` names the held-out qids, so a chunk's map knows each pair's
 * split from the chunk and the settings alone, and a shard never needs the other split.
 */
export interface ProbingSettingsJson {
  readonly heldOut: readonly string[];
  readonly pooling: ProbePooling;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly dropout: number;
  readonly maxGradNorm: number;
  readonly seed: number;
  readonly shuffleLabels: boolean;
}

export const DEFAULT_PROBING_JSON: Omit<ProbingSettingsJson, 'heldOut'> = {
  pooling: 'states',
  epochs: PROBE_DEFAULTS.epochs,
  batchSize: PROBE_DEFAULTS.batchSize,
  learningRate: PROBE_DEFAULTS.learningRate,
  weightDecay: PROBE_DEFAULTS.weightDecay,
  dropout: PROBE_DEFAULTS.dropout,
  maxGradNorm: PROBE_DEFAULTS.maxGradNorm,
  seed: PROBE_DEFAULTS.seed,
  shuffleLabels: false,
};

/** A chunk's features as JSON: float32 values as base64 of their little-endian bytes (exact). */
export interface ProbingPartial {
  readonly hidden: number;
  readonly layers: number;
  readonly pairs: ProbingFeatures['pairs'];
  /** Per group (PROBE_GROUPS order): tokens per pair (shared by every layer), then per layer the values. */
  readonly groups: readonly { readonly tokens: readonly number[]; readonly values: readonly string[] }[];
}

function toBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function featuresToPartial(features: ProbingFeatures): ProbingPartial {
  return {
    hidden: features.hidden,
    layers: features.layers,
    pairs: features.pairs,
    groups: PROBE_GROUPS.map((_, g) => {
      const offsets = features.data[0][g].offsets;
      return {
        tokens: Array.from({ length: offsets.length - 1 }, (_, e) => offsets[e + 1] - offsets[e]),
        values: features.data.map((layer) => toBase64(layer[g].values)),
      };
    }),
  };
}

export function partialToFeatures(partial: ProbingPartial): ProbingFeatures {
  const labels = Uint8Array.from(partial.pairs.map((p) => p.label));
  return {
    hidden: partial.hidden,
    layers: partial.layers,
    pairs: partial.pairs,
    data: Array.from({ length: partial.layers }, (_, layer) =>
      partial.groups.map((group) => {
        const offsets = new Int32Array(group.tokens.length + 1);
        group.tokens.forEach((n, e) => (offsets[e + 1] = offsets[e] + n));
        return { hidden: partial.hidden, offsets, values: fromBase64(group.values[layer]), labels };
      }),
    ),
  };
}

export function hasStates(scorer: unknown): scorer is CanReadStates {
  return typeof (scorer as Partial<CanReadStates>).statesAt === 'function';
}

export function probingAnalysis(
  settings: ProbingSettingsJson,
): Analysis<ProbingSettingsJson, ProbingPartial, ProbingResult> {
  checkSeed(settings.seed, 'probe seed');
  const heldOut = new Set(settings.heldOut);
  const stopWords = new Set(ZHAN_STOP_WORDS);
  return {
    name: 'probing',
    version: 1,
    selection: 'candidates',
    settings,
    async map(chunk, context) {
      const { scorer } = context;
      if (!hasStates(scorer))
        throw new Error('the probing analysis needs a model that returns hidden states');
      const model: StatesModel = { info: scorer.info, statesAt: (r, o) => scorer.statesAt(r, o) };
      const queries = encodeChunk(chunk, context);
      const parts: ProbingFeatures[] = [];
      let done = 0;
      // Consecutive queries of one split are extracted together; pair order stays the chunk's.
      for (let start = 0; start < queries.length;) {
        const split: ProbingSplit = heldOut.has(queries[start].qid) ? 'eval' : 'train';
        let end = start + 1;
        while (end < queries.length && heldOut.has(queries[end].qid) === (split === 'eval')) end++;
        parts.push(
          await extractProbingFeatures(queries.slice(start, end), split, model, stopWords, settings.pooling, {
            signal: context.signal,
            batchSize: context.batchSize,
            onPairs: (n) => context.onPairs?.((done += n)),
          }),
        );
        start = end;
      }
      return featuresToPartial(mergeProbingFeatures(parts));
    },
    finish(partials) {
      const features = mergeProbingFeatures(partials.map(partialToFeatures));
      const { heldOut: _, pooling: __, ...training } = settings;
      return trainAndEvaluateProbes(features, training);
    },
  };
}
