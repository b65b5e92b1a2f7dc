import { attribute, BASELINES, type PairAttributionOptions } from '../attribution';
import {
  statesAtByInspect,
  type CanAttribute,
  type CanReadStates,
  type StatesRequest,
} from './modelCapabilities';
import { BertGradientModel } from '../bert/gradientModel';
import { Ranker } from '../runtime/ranker';
import type { AttentionSums } from '../runtime/attentionKinds';
import type { MaskSpec, PairInput, RankerOptions, ScoreOptions, ScoreResult, Scorer } from '../runtime/types';
import { loadTokenizer } from '../text/load';
import type { EncodedPair } from '../text/types';

export interface GradientModelAndPad {
  readonly model: BertGradientModel;
  /** [PAD]'s id in the model's vocabulary (IG baselines). */
  readonly padId: number;
}

/**
 * A Ranker plus what the dataset analyses need beyond scoring (IG, hidden states), in this process: the
 * CLI and tests use it; the extension uses the worker client, which offers the same methods.
 */
export class InProcessAnalysisModel implements Scorer, CanAttribute, CanReadStates {
  private gradients: Promise<GradientModelAndPad> | undefined;

  private constructor(
    readonly ranker: Ranker,
    private readonly gradientSource: () => Promise<GradientModelAndPad>,
    /** Whether dispose() releases the ranker and gradient model (not when they were lent by the worker). */
    private readonly owned: boolean,
  ) {}

  static async load(dir: string, options: RankerOptions = {}): Promise<InProcessAnalysisModel> {
    const { threads, spinning, device } = options;
    const source = async () => {
      const padId = loadTokenizer(dir).padId;
      if (padId === undefined)
        throw new Error(`${dir}: the vocabulary has no [PAD] token (IG baselines need it)`);
      return { model: await BertGradientModel.load(dir, { threads, spinning, device }), padId };
    };
    return new InProcessAnalysisModel(await Ranker.load(dir, options), source, true);
  }

  /** Around a ranker and gradient model someone else owns (the worker's), without taking them over. */
  static wrap(ranker: Ranker, gradients: () => Promise<GradientModelAndPad>): InProcessAnalysisModel {
    return new InProcessAnalysisModel(ranker, gradients, false);
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

  scoreByHeadMask(pairs: readonly PairInput[], options?: ScoreOptions): Promise<number[][]> {
    return this.ranker.scoreByHeadMask(pairs, options);
  }

  /** Layer-wise IG (src/core/attribution); the gradient model is loaded on the first call. */
  async attribute(pair: EncodedPair, options: PairAttributionOptions = {}) {
    this.gradients ??= this.gradientSource();
    this.gradients.catch(() => (this.gradients = undefined));
    const { model, padId } = await this.gradients;
    const [result] = await attribute(model, [pair], options.baselines ?? BASELINES, { ...options, padId });
    return result;
  }

  statesAt(requests: readonly StatesRequest[], options: { readonly signal?: AbortSignal } = {}) {
    return statesAtByInspect((pair, masks) => this.ranker.inspect(pair, masks), requests, options.signal);
  }

  async dispose(): Promise<void> {
    const gradients = this.gradients;
    this.gradients = undefined;
    if (!this.owned) return;
    await gradients?.then((g) => g.model.dispose()).catch(() => undefined);
    await this.ranker.dispose();
  }
}
