// How the analysis tests run an analysis over a tiny checkpoint: pairs cut at 64 tokens (the tiny checkpoints
// hold 64 positions), the model described as "tiny" in the result files.
import { describeModel } from '../../src/core/analysis/analysis';
import { modelKey, type RunnerOptions } from '../../src/core/analysis/runner';
import type { ModelInfo } from '../../src/core/runtime/types';

/** The maximum length the tests' analysis contexts encode with; runner keys must be made with the same. */
export const TEST_MAX_LENGTH = 64;

/** Runner options writing into `dir`, keyed for `info` at TEST_MAX_LENGTH. */
export function testRunnerOptions(
  info: ModelInfo,
  dir: string,
  extra: Partial<RunnerOptions> = {},
): RunnerOptions {
  return { dir, model: describeModel(info, 'tiny'), modelKey: modelKey(info, TEST_MAX_LENGTH), ...extra };
}
