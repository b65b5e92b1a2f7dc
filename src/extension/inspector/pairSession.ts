import * as path from 'node:path';
import type { AttributionResult } from '../../core/attribution';
import type { Dataset } from '../../core/data';
import type { InspectResult, MaskSpec } from '../../core/runtime/types';
import type { EncodedPair, EncodedToken } from '../../core/text/types';
import type { AttentionTensor, ViewToken } from '../../protocol/attention';
import type { WhatIfResult, WhatIfSpec } from '../../protocol/inspector';
import type { ChosenPair } from '../commands/modelCommands';
import type { LoadedModel } from '../modelController';
import { periodsToCommas } from '../../core/analysis/periodMask';
import { appliesToEveryCandidate, describeWhatIf, maskSpecsFor, rankAmong } from './whatIf';

/** Candidates at most that a pair is ranked among (a run's top 100, as the sample's DL19 runs hold). */
const MAX_CANDIDATES = 100;

export interface Candidates {
  readonly run: string;
  /** The other candidates of the query in that run (the pair's own passage left out). */
  readonly pids: readonly string[];
  readonly pairs: readonly EncodedPair[];
  readonly passages: readonly string[];
  readonly scores: readonly number[];
  /** The pair's own rank in the run file, if it is there. */
  readonly runRank?: number;
}

export function viewTokens(tokens: readonly EncodedToken[]): ViewToken[] {
  return tokens.map(({ text, kind, segment, start, end }) => ({ text, kind, segment, start, end }));
}

/** The attention probabilities as a Float32Array owning exactly its buffer, ready to post as binary. */
export function attentionTensor(result: InspectResult): AttentionTensor {
  const a = result.attentions;
  const own = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
  return { numLayers: result.numLayers, numHeads: result.numHeads, seqLength: result.seqLength, data: own };
}

/**
 * One query/passage pair under the model: its forward pass with attentions, its rank among the query's
 * candidates in the open run (scored in the worker, batched, once), Integrated Gradients, and what-ifs.
 * All inference runs in the model's worker thread.
 */
export class PairSession {
  readonly encoded: EncodedPair;
  private candidatesPromise: Promise<Candidates | undefined> | undefined;
  private nextWhatIf = 1;

  constructor(
    readonly model: LoadedModel,
    readonly dataset: Dataset | undefined,
    readonly pair: ChosenPair,
  ) {
    this.encoded = model.encode(pair.query, pair.passage);
  }

  get label(): string {
    return this.pair.qid
      ? `qid ${this.pair.qid}${this.pair.pid ? ` · pid ${this.pair.pid}` : ' · typed passage'}`
      : `"${this.pair.query.slice(0, 40)}"`;
  }

  inspect(masks: readonly MaskSpec[] = []): Promise<InspectResult> {
    return this.model.ranker.inspect(this.encoded, { masks });
  }

  /** The run that ranks this pair's query (preferring one that holds its passage), or undefined. */
  runFor(): { file: string; pids: string[]; runRank?: number } | undefined {
    const { qid, pid } = this.pair;
    if (!qid || !this.dataset) return undefined;
    const runs = this.dataset.runs.filter((r) => r.rankings.has(qid));
    const run = runs.find((r) => r.rankings.get(qid)?.some((c) => c.pid === pid)) ?? runs[0];
    if (!run) return undefined;
    const ranking = run.rankings.get(qid) ?? [];
    const own = ranking.find((c) => c.pid === pid);
    return {
      file: run.file,
      pids: ranking
        .slice(0, MAX_CANDIDATES)
        .map((c) => c.pid)
        .filter((p) => p !== pid),
      runRank: own?.rank,
    };
  }

  /** The other candidates, scored once per session (one batched call in the worker). */
  candidates(signal?: AbortSignal): Promise<Candidates | undefined> {
    this.candidatesPromise ??= this.scoreCandidates(signal);
    return this.candidatesPromise;
  }

  private async scoreCandidates(signal?: AbortSignal): Promise<Candidates | undefined> {
    const run = this.runFor();
    const collection = this.dataset?.collection;
    if (!run || !collection || run.pids.length === 0) return undefined;
    const found = await collection.getMany(run.pids);
    const pids = run.pids.filter((_, i) => found[i] !== undefined);
    const passages = found.flatMap((p) => (p ? [p.text] : []));
    const pairs = passages.map((text) => this.model.encode(this.pair.query, text));
    const scores = (await this.model.ranker.score(pairs, { signal })).map((r) => r.score);
    return { run: path.basename(run.file), pids, pairs, passages, scores, runRank: run.runRank };
  }

  /** The vocabulary id of "," (from the model's own tokenizer). */
  private commaId(): number {
    const comma = this.model.encode('', ',').tokens.find((t) => t.text === ',');
    if (!comma) throw new Error('the model\'s vocabulary has no "," token to replace periods with');
    return comma.id;
  }

  attribute(
    signal: AbortSignal,
    onProgress: (done: number, total: number) => void,
  ): Promise<AttributionResult> {
    return this.model.ranker.attribute(this.encoded, { layers: 'all', signal, onProgress });
  }

  /** The pair under a what-if: its masks, and the pair with periods replaced if asked. */
  private changed(spec: WhatIfSpec): {
    masks: MaskSpec[];
    changed: EncodedPair;
    commas: (p: EncodedPair) => EncodedPair;
  } {
    const masks = maskSpecsFor(spec, this.model.info.numLayers);
    // As the period-masking analysis (Table 1) does it: the period tokens' ids become ",", nothing else moves.
    const commas = (pair: EncodedPair) =>
      spec.replacePeriods ? periodsToCommas(pair, this.commaId()) : pair;
    return { masks, changed: commas(this.encoded), commas };
  }

  /** The attention map of this pair under a what-if again (one forward pass; no candidates). */
  async whatIfAttention(spec: WhatIfSpec): Promise<AttentionTensor> {
    const { masks, changed } = this.changed(spec);
    return attentionTensor(await this.model.ranker.inspect(changed, { masks }));
  }

  /**
   * Applies a what-if to this pair (and, where it means the same for all, to every candidate): the table
   * row, and the changed pair's attention map apart (the caller decides how long to keep it).
   */
  async whatIf(spec: WhatIfSpec): Promise<{ row: WhatIfResult; attention: AttentionTensor }> {
    const started = Date.now();
    const L = this.model.info.numLayers;
    const { masks, changed, commas } = this.changed(spec);
    const result = await this.model.ranker.inspect(changed, { masks });
    const candidates = await this.candidates();
    let rankAllChanged: { rank: number; of: number } | undefined;
    if (candidates && appliesToEveryCandidate(spec)) {
      const pairs = candidates.pairs.map(commas);
      const scores = (await this.model.ranker.score(pairs, { masks })).map((r) => r.score);
      rankAllChanged = rankAmong(result.score, scores);
    }
    const row = {
      id: this.nextWhatIf++,
      label: describeWhatIf(spec, L),
      score: result.score,
      sigmoid: result.sigmoid,
      rank: candidates ? rankAmong(result.score, candidates.scores) : undefined,
      rankAllChanged,
      tokens: viewTokens(changed.tokens),
      ms: Date.now() - started,
    };
    return { row, attention: attentionTensor(result) };
  }
}
