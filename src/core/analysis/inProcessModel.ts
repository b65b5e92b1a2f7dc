import { attribute } from './integratedGradients';
import {
  statesAtByInspect,
  type AttributeCallOptions,
  type CanAttribute,
  type CanReadStates,
  type StatesRequest,
} from './modelCapabilities';
import { BertGradientModel } from '../bert/attribution';
import { Ranker } from '../runtime/ranker';
import type { AttentionSums } from '../runtime/attentionKinds';
import type { MaskSpec, PairInput, RankerOptions, ScoreOptions, ScoreResult, Scorer } from '../runtime/types';
import { loadTokenizer } from '../text/load';
import type { EncodedPair } from '../text/types';

/**
 * A Ranker plus what the dataset analyses need beyond scoring (IG, hidden states), in this process: the
 * CLI and tests use it; the extension uses the worker client, which offers the same methods.
 */
export class InProcessAnalysisModel implements Scorer, CanAttribute, CanReadStates {
  private gradients: Promise<BertGradientModel> | undefined;

  private constructor(
    readonly ranker: Ranker,
    private readonly options: RankerOptions,
  ) {}

  static async load(dir: string, options: RankerOptions = {}): Promise<InProcessAnalysisModel> {
    return new InProcessAnalysisModel(await Ranker.load(dir, options), options);
  }

  get info(): Ranker['info'] {
    return this.ranker.info;
  }

  score(pairs: readonly PairInput[], options?: ScoreOptions): Promise<ScoreResult[]> {
    return this.ranker.score(pairs, options);
  }

  attentionSums(pairs: readonly PairInput[], options?: ScoreOptions): Promise<AttentionSums[]> {
    return this.ranker.attentionSums(pairs, options);
  }

  scoreByMaskDepth(
    pairs: readonly PairInput[],
    masks: readonly MaskSpec[],
    options?: ScoreOptions & { readonly fromDepth?: number },
  ): Promise<number[][]> {
    return this.ranker.scoreByMaskDepth(pairs, masks, options);
  }

  /** Layer-wise IG (integratedGradients.ts); the gradient model is loaded on the first call. */
  async attribute(pair: EncodedPair, options: AttributeCallOptions = {}) {
    const dir = this.ranker.info.dir;
    this.gradients ??= BertGradientModel.load(dir, { threads: this.options.threads });
    const padId = loadTokenizer(dir).padId;
    if (padId === undefined)
      throw new Error(`${dir}: the vocabulary has no [PAD] token (IG baselines need it)`);
    return attribute(await this.gradients, pair, { ...options, padId });
  }

  statesAt(requests: readonly StatesRequest[], options: { readonly signal?: AbortSignal } = {}) {
    return statesAtByInspect((pair, masks) => this.ranker.inspect(pair, masks), requests, options.signal);
  }

  async dispose(): Promise<void> {
    const gradients = this.gradients;
    this.gradients = undefined;
    await gradients?.then((g) => g.dispose()).catch(() => undefined);
    await this.ranker.dispose();
  }
}
