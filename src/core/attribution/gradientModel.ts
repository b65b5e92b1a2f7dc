/** Scores and d score / d state for `count` states injected at one layer. */
export interface ScoresAndGradients {
  readonly scores: Float32Array;
  /** [count, seq, hidden] row-major. */
  readonly gradients: Float32Array;
}

/**
 * What Integrated Gradients needs of a model: its states at every layer for a pair, and, for states injected
 * at a layer, the score and the gradient of the score with respect to them. The BERT cross-encoder's
 * BertGradientModel (src/core/bert/gradientModel.ts) provides it without importing this module: any object
 * of this shape can be attributed.
 */
export interface GradientModel {
  /** States exist at layers 0 (embedding output) to numLayers (after the last layer). */
  readonly numLayers: number;
  /** Values per position of a state. */
  readonly hiddenSize: number;
  /**
   * The states of every layer for sequences of one length (no padding): numLayers + 1 arrays of
   * [sequences, seq, hidden], row-major.
   */
  hiddenStates(
    inputIds: readonly ArrayLike<number>[],
    tokenTypeIds: readonly ArrayLike<number>[],
  ): Promise<Float32Array[]>;
  /** `count` states ([count, seq, hidden]) injected at `layer`: each one's score and d score / d state. */
  scoresAndGradients(
    layer: number,
    states: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<ScoresAndGradients>;
  /**
   * Optional: for `count` layer-0 states, the gradient at the input of every layer 0..numLayers-1 of the
   * states the model computes from them, in one pass (gradients[k] is [count, seq, hidden]). A model that
   * offers it lets every layer's path ends, the pair's and the baselines' own states, come from one call.
   */
  gradientsAtEveryLayer?(
    states: Float32Array,
    count: number,
    signal?: AbortSignal,
  ): Promise<{ readonly gradients: readonly Float32Array[] }>;
}
