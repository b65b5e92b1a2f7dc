import { seededShuffle } from '../../random';
import { trainProbe, PROBE_DEFAULTS, type ProbeData, type ProbeTrainingOptions } from './probe';
import { PROBE_GROUPS, probePositions, type ProbeGroup } from '../tokenGroups';
import type { QueryCandidates } from '../chunkCandidates';
import type { CanReadStates } from '../modelCapabilities';

/**
 * Analysis 3 (Zhan et al., Figure 3): MLP probes on the frozen hidden states of every layer (0 =
 * embeddings) for seven token groups, trained on the candidate lists of training queries and evaluated
 * as MRR@10 re-ranking the candidates of held-out queries (queries disjoint from the training ones).
 *
 * Map: one chunk of pairs -> the group tokens' hidden states (only the probed positions leave the model).
 * Reduce: concatenation in pair order. Finalize: one probe per (layer, group), trained and evaluated.
 */

/** What the analysis needs of a model: its shape, and hidden states of every layer at some positions. */
export interface StatesModel extends CanReadStates {
  readonly info: { readonly numLayers: number; readonly hiddenSize: number };
}

export type ProbingSplit = 'train' | 'eval';

/**
 * Where the group's tokens are max-pooled. 'logits' is Zhan et al.'s probe: the MLP runs on every token and
 * its two logits are max-pooled (memory: every probed token's state of every layer). 'states' max-pools the
 * hidden states unit by unit first and runs the MLP once per pair: ~40x less memory and training time, a
 * different (simpler) probe.
 */
export type ProbePooling = 'logits' | 'states';

/** Group token states of a set of pairs: one ProbeData per (layer, group), examples in pair order. */
export interface ProbingFeatures {
  readonly hidden: number;
  readonly layers: number;
  readonly pairs: readonly {
    readonly qid: string;
    readonly pid: string;
    readonly label: 0 | 1;
    readonly split: ProbingSplit;
  }[];
  /** data[layer][group index in PROBE_GROUPS]. */
  readonly data: readonly (readonly ProbeData[])[];
}

/** FNV-1a of a string: a pair's sampling seed that does not depend on how the pairs were chunked. */
export function stringSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

class ProbeDataBuilder {
  private values: Float32Array;
  private tokens = 0;
  private readonly offsets: number[] = [0];
  private readonly labels: number[] = [];

  constructor(private readonly hidden: number) {
    this.values = new Float32Array(hidden * 64);
  }

  add(source: Float32Array, rows: readonly number[], label: 0 | 1): void {
    const h = this.hidden;
    const needed = (this.tokens + rows.length) * h;
    if (needed > this.values.length) {
      const grown = new Float32Array(Math.max(needed, this.values.length * 2));
      grown.set(this.values.subarray(0, this.tokens * h));
      this.values = grown;
    }
    for (const row of rows) {
      this.values.set(source.subarray(row * h, (row + 1) * h), this.tokens * h);
      this.tokens++;
    }
    this.offsets.push(this.tokens);
    this.labels.push(label);
  }

  /** The unit-wise maximum over the rows as one token (no token when there are no rows). */
  addMaxPooled(source: Float32Array, rows: readonly number[], label: 0 | 1): void {
    if (rows.length === 0) return this.add(source, [], label);
    const h = this.hidden;
    const pooled = new Float32Array(h).fill(-Infinity);
    for (const row of rows) {
      for (let i = 0; i < h; i++) pooled[i] = Math.max(pooled[i], source[row * h + i]);
    }
    this.add(pooled, [0], label);
  }

  build(): ProbeData {
    return {
      hidden: this.hidden,
      offsets: Int32Array.from(this.offsets),
      values: this.values.slice(0, this.tokens * this.hidden),
      labels: Uint8Array.from(this.labels),
    };
  }
}

/** Map step: the probed groups' hidden states for every candidate of the given queries. */
export async function extractProbingFeatures(
  queries: readonly QueryCandidates[],
  split: ProbingSplit,
  model: StatesModel,
  stopWords: ReadonlySet<string>,
  pooling: ProbePooling,
  options: {
    readonly signal?: AbortSignal;
    readonly batchSize?: number;
    readonly onPairs?: (n: number) => void;
  } = {},
): Promise<ProbingFeatures> {
  const h = model.info.hiddenSize;
  const layers = model.info.numLayers + 1;
  const builders = Array.from({ length: layers }, () => PROBE_GROUPS.map(() => new ProbeDataBuilder(h)));
  const pairs: ProbingFeatures['pairs'][number][] = [];
  const all = queries.flatMap((q) => q.candidates.map((c) => ({ qid: q.qid, ...c })));
  const batchSize = options.batchSize ?? 16;
  for (let start = 0; start < all.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = all.slice(start, start + batchSize);
    const groups = batch.map((c) =>
      probePositions(c.pair.tokens, stopWords, stringSeed(`${c.qid}\t${c.pid}`)),
    );
    // Each position is fetched once even when two groups share it (a query term that is a period...).
    const requests = groups.map((g) => {
      const unique = [...new Set(PROBE_GROUPS.flatMap((name) => g[name]))].sort((a, b) => a - b);
      return { positions: unique, rowOf: new Map(unique.map((p, r) => [p, r])) };
    });
    const states = await model.statesAt(
      batch.map((c, i) => ({ pair: c.pair, positions: requests[i].positions })),
      { signal: options.signal },
    );
    batch.forEach((c, i) => {
      const label: 0 | 1 = c.relevant ? 1 : 0;
      pairs.push({ qid: c.qid, pid: c.pid, label, split });
      const perLayer = requests[i].positions.length * h;
      for (let layer = 0; layer < layers; layer++) {
        const layerStates = states[i].subarray(layer * perLayer, (layer + 1) * perLayer);
        PROBE_GROUPS.forEach((name: ProbeGroup, g) => {
          const rows = groups[i][name].map((p) => requests[i].rowOf.get(p)!);
          if (pooling === 'states') builders[layer][g].addMaxPooled(layerStates, rows, label);
          else builders[layer][g].add(layerStates, rows, label);
        });
      }
    });
    options.onPairs?.(batch.length);
  }
  return { hidden: h, layers, pairs, data: builders.map((row) => row.map((b) => b.build())) };
}

function concatProbeData(parts: readonly ProbeData[]): ProbeData {
  const hidden = parts[0].hidden;
  const tokens = parts.reduce((n, p) => n + p.offsets[p.offsets.length - 1], 0);
  const examples = parts.reduce((n, p) => n + p.labels.length, 0);
  const values = new Float32Array(tokens * hidden);
  const offsets = new Int32Array(examples + 1);
  const labels = new Uint8Array(examples);
  let tokenBase = 0;
  let exampleBase = 0;
  for (const p of parts) {
    values.set(p.values, tokenBase * hidden);
    labels.set(p.labels, exampleBase);
    for (let e = 0; e < p.labels.length; e++) offsets[exampleBase + e + 1] = tokenBase + p.offsets[e + 1];
    tokenBase += p.offsets[p.offsets.length - 1];
    exampleBase += p.labels.length;
  }
  return { hidden, offsets, values, labels };
}

/** Reduce: concatenation in chunk order. */
export function mergeProbingFeatures(parts: readonly ProbingFeatures[]): ProbingFeatures {
  if (parts.length === 0) throw new Error('no probing features to merge');
  const { hidden, layers } = parts[0];
  for (const p of parts) {
    if (p.hidden !== hidden || p.layers !== layers)
      throw new Error(
        `probing features of ${p.layers} x ${p.hidden} cannot merge with ${layers} x ${hidden}`,
      );
  }
  return {
    hidden,
    layers,
    pairs: parts.flatMap((p) => p.pairs),
    data: Array.from({ length: layers }, (_, layer) =>
      PROBE_GROUPS.map((_, g) => concatProbeData(parts.map((p) => p.data[layer][g]))),
    ),
  };
}

/** The examples of `data` at the given indices (in that order). */
export function selectExamples(data: ProbeData, indices: readonly number[]): ProbeData {
  const tokens = indices.reduce((n, e) => n + data.offsets[e + 1] - data.offsets[e], 0);
  const values = new Float32Array(tokens * data.hidden);
  const offsets = new Int32Array(indices.length + 1);
  const labels = new Uint8Array(indices.length);
  let at = 0;
  indices.forEach((e, k) => {
    const from = data.offsets[e] * data.hidden;
    const to = data.offsets[e + 1] * data.hidden;
    values.set(data.values.subarray(from, to), at * data.hidden);
    at += data.offsets[e + 1] - data.offsets[e];
    offsets[k + 1] = at;
    labels[k] = data.labels[e];
  });
  return { hidden: data.hidden, offsets, values, labels };
}

/**
 * Expected reciprocal rank (cut at 10) of the first relevant item when `relevant` of `size` items are put
 * in a uniformly random order starting at 1-based rank `start`; 0 when none is relevant.
 */
function expectedReciprocalRank(start: number, size: number, relevant: number): number {
  let total = 0;
  let noneYet = 1;
  for (let k = 0; k < size && relevant > 0 && start + k <= 10; k++) {
    total += (noneYet * relevant) / (size - k) / (start + k);
    noneYet *= (size - relevant - k) / (size - k);
  }
  return total;
}

/**
 * MRR@10 of candidate lists ranked by `scores` (descending), over every query of `queryOf`; a query
 * without a relevant candidate in its top 10 scores 0. Tied scores count as a random order among
 * themselves (the exact expectation), so a probe that cannot tell candidates apart scores chance, never
 * the order the candidates happened to be listed in (BM25's).
 */
export function mrrAt10(
  queryOf: readonly string[],
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): number {
  const byQuery = new Map<string, number[]>();
  queryOf.forEach((qid, i) => {
    let list = byQuery.get(qid);
    if (!list) byQuery.set(qid, (list = []));
    list.push(i);
  });
  let total = 0;
  for (const list of byQuery.values()) {
    const ranked = [...list].sort((a, b) => (scores[a] === scores[b] ? 0 : scores[b] > scores[a] ? 1 : -1));
    let start = 1;
    for (let at = 0; at < ranked.length && start <= 10;) {
      let end = at + 1;
      while (end < ranked.length && scores[ranked[end]] === scores[ranked[at]]) end++;
      let relevant = 0;
      for (let k = at; k < end; k++) relevant += labels[ranked[k]] === 1 ? 1 : 0;
      if (relevant > 0) {
        total += expectedReciprocalRank(start, end - at, relevant);
        break;
      }
      start += end - at;
      at = end;
    }
  }
  return byQuery.size === 0 ? 0 : total / byQuery.size;
}

/** Expected MRR@10 of a uniformly random order of each query's candidates (the chance level). */
export function chanceMrrAt10(queryOf: readonly string[], labels: ArrayLike<number>): number {
  return mrrAt10(queryOf, labels, new Float64Array(queryOf.length));
}

export interface ProbingSettings extends Omit<ProbeTrainingOptions, 'signal'> {
  /** Train probes with shuffled training labels (a control: MRR@10 should fall to chance). */
  readonly shuffleLabels?: boolean;
}

export interface ProbingGroupResult {
  readonly group: ProbeGroup;
  /** MRR@10 on the held-out queries, per layer 0..L. */
  readonly mrr: readonly number[];
  /** Training examples without any token of the group (skipped), per layer (same for every layer). */
  readonly emptyTrain: number;
  /** Held-out candidates without any token of the group (ranked last). */
  readonly emptyEval: number;
  /** Mean training loss of the last epoch, per layer. */
  readonly finalLoss: readonly number[];
}

export interface ProbingResult {
  readonly settings: Required<Omit<ProbingSettings, 'shuffleLabels'>> & { readonly shuffleLabels: boolean };
  readonly hiddenSize: number;
  readonly layers: number;
  readonly trainQueries: number;
  readonly trainPairs: number;
  readonly trainPositives: number;
  readonly evalQueries: number;
  readonly evalPairs: number;
  /** Expected MRR@10 of a random order of the held-out candidates. */
  readonly chanceMrr: number;
  readonly groups: readonly ProbingGroupResult[];
}

/** Finalize: trains one probe per (layer, group) on the train pairs and evaluates it on the eval pairs. */
export function trainAndEvaluateProbes(
  features: ProbingFeatures,
  settings: ProbingSettings = {},
  options: { readonly signal?: AbortSignal; readonly onProbe?: (done: number, total: number) => void } = {},
): ProbingResult {
  const resolved = { ...PROBE_DEFAULTS, ...settings, shuffleLabels: settings.shuffleLabels ?? false };
  const train = features.pairs.flatMap((p, i) => (p.split === 'train' ? [i] : []));
  const evaluation = features.pairs.flatMap((p, i) => (p.split === 'eval' ? [i] : []));
  if (train.length === 0 || evaluation.length === 0)
    throw new Error(
      `probing needs training and held-out pairs (got ${train.length} and ${evaluation.length})`,
    );
  const evalQueries = evaluation.map((i) => features.pairs[i].qid);
  const evalLabels = evaluation.map((i) => features.pairs[i].label);
  const shuffledLabels = resolved.shuffleLabels
    ? seededShuffle(
        train.map((i) => features.pairs[i].label),
        resolved.seed ^ 0x5eed,
      )
    : undefined;
  const total = features.layers * PROBE_GROUPS.length;
  let done = 0;
  const groups = PROBE_GROUPS.map((group, g): ProbingGroupResult => {
    const mrr: number[] = [];
    const finalLoss: number[] = [];
    let emptyTrain = 0;
    let emptyEval = 0;
    for (let layer = 0; layer < features.layers; layer++) {
      const all = features.data[layer][g];
      const trainData = selectExamples(all, train);
      const labelled = shuffledLabels ? { ...trainData, labels: Uint8Array.from(shuffledLabels) } : trainData;
      const { probe, epochLosses } = trainProbe(labelled, { ...resolved, signal: options.signal });
      const evalData = selectExamples(all, evaluation);
      const scores = probe.scoreAll(evalData);
      mrr.push(mrrAt10(evalQueries, evalLabels, scores));
      finalLoss.push(epochLosses[epochLosses.length - 1] ?? NaN);
      emptyTrain = countEmpty(trainData);
      emptyEval = countEmpty(evalData);
      options.onProbe?.(++done, total);
    }
    return { group, mrr, emptyTrain, emptyEval, finalLoss };
  });
  return {
    settings: resolved,
    hiddenSize: features.hidden,
    layers: features.layers - 1,
    trainQueries: new Set(train.map((i) => features.pairs[i].qid)).size,
    trainPairs: train.length,
    trainPositives: train.filter((i) => features.pairs[i].label === 1).length,
    evalQueries: new Set(evalQueries).size,
    evalPairs: evaluation.length,
    chanceMrr: chanceMrrAt10(evalQueries, evalLabels),
    groups,
  };
}

function countEmpty(data: ProbeData): number {
  let n = 0;
  for (let e = 0; e < data.labels.length; e++) if (data.offsets[e + 1] === data.offsets[e]) n++;
  return n;
}
