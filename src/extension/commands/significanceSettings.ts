// The palette's intervals and paired tests: VS Code's ranklens.significance.* settings (the CLI's --alpha,
// --resamples, --permutations, --significance-seed). No vscode import: unit-tested on its own.
import { DEFAULT_SIGNIFICANCE, type SignificanceOptions } from '../../core/eval/significance';
import { SignificanceFieldError, significanceFromFields } from '../../core/eval/significanceFields';

/** The settings' keys under ranklens.significance, by option. */
export const SIGNIFICANCE_SETTINGS = {
  alpha: 'alpha',
  resamples: 'resamples',
  permutations: 'permutations',
  seed: 'seed',
} as const;

/**
 * The options the settings give, or undefined when they are the defaults (the request then says nothing and
 * the result states the defaults). A wrong value is named by its setting.
 */
export function significanceOfSettings(get: (key: string) => unknown): SignificanceOptions | undefined {
  const fields = Object.fromEntries(
    Object.entries(SIGNIFICANCE_SETTINGS).map(([option, key]) => [option, get(key) ?? undefined]),
  );
  let options: SignificanceOptions;
  try {
    options = significanceFromFields(fields, (field) => `ranklens.significance.${field}`);
  } catch (error) {
    if (error instanceof SignificanceFieldError)
      throw new Error(`the setting ${error.message} (Settings: RankLens)`, { cause: error });
    throw error;
  }
  const changed = (Object.keys(DEFAULT_SIGNIFICANCE) as (keyof SignificanceOptions)[]).some(
    (k) => options[k] !== DEFAULT_SIGNIFICANCE[k],
  );
  return changed ? options : undefined;
}
