// What one analysis declares about itself: how to build it, its settings (from which the CLI's flags and help,
// the palette's quick picks and the validation of both are generated), its summary table and its report section.
// Pure (no node import): the report webview bundles every spec through the registry.
import type { AnyAnalysis, Json } from './analysis';
import type { ResultFile } from './runner';
import type { ReportOptions, ReportPalette, ReportSection } from '../report/charts';

/** How a setting is written on the command line and what values it takes. */
export type SettingType =
  /** Any finite number. */
  | 'number'
  | 'positive-int'
  /** A whole number from 0 to 2^32 - 1 (mulberry32 seeds). */
  | 'seed'
  /** One of `choices`. */
  | 'choice'
  /** A flag without a value: the setting is `true` when given. */
  | 'switch';

export interface SettingField {
  /** The CLI flag without its dashes (`--fusion-weight`). */
  readonly flag: string;
  /** The key it sets in the analysis's settings (several flags may set one key in different shapes). */
  readonly key: string;
  readonly type: SettingType;
  readonly choices?: readonly string[];
  /** How the choices read in an error ("attention (the paper) or token"); default: "a or b". */
  readonly choicesText?: string;
  /** A further check of the parsed value: the reason it is refused ("must be within [0, 1]"), else undefined. */
  readonly check?: (value: number) => string | undefined;
  /** The settings value a parsed flag value becomes (default: the value itself). */
  readonly toSetting?: (value: number | string | true) => Json;
  /** The flag value a settings value stands for, or undefined when this field cannot have written it. */
  readonly fromSetting?: (value: Json) => number | string | true | undefined;
  /** The flag's value as the help shows it (`W`, `states|logits`). */
  readonly metavar?: string;
}

/** A choice the palette offers for an analysis's options (validated against the settings schema). */
export interface QuickPick {
  readonly label: string;
  readonly description?: string;
  readonly settings: Readonly<Record<string, Json>>;
}

export interface AnalysisSpec {
  /** The CLI name (`ranklens analyze NAME`), the folder name and the key of result files. */
  readonly name: string;
  /** The palette's and the report's title ("Attention distribution (Figure 1)"). */
  readonly title: string;
  /** The palette command's id (declared in package.json's contributes.commands). */
  readonly command?: string;
  /** One paragraph for `ranklens analyze --help` (after the name and its flags). */
  readonly help: string;
  /**
   * Which data files it needs: judgements ('optional' for rerank, which can run without them), and held-out
   * queries (probing: the dataset options' queries train, the held-out ones evaluate).
   */
  readonly data: { readonly qrels: 'required' | 'optional'; readonly heldOut?: boolean };
  readonly settings: readonly SettingField[];
  /** Flags that set the same thing in two ways and so exclude each other, with the message saying so. */
  readonly exclusive?: readonly { readonly flags: readonly [string, string]; readonly message: string }[];
  /** Options asked in the palette after the data; absent = the defaults, nothing asked. */
  readonly palette?: { readonly placeHolder: string; readonly picks: readonly QuickPick[] };
  /** Queries `ranklens report` draws for it by default. */
  readonly reportQueries: number;
  /** The analysis from stored or requested settings; those not given take the defaults. */
  create(settings: Json | undefined): AnyAnalysis;
  /** The CLI's summary of a result (plain text, ends with a newline). */
  summary(file: ResultFile): string;
  /** Its section of the report, with the paper's values where the paper has them. */
  report(file: ResultFile, palette: ReportPalette, options: ReportOptions): ReportSection | undefined;
}

/** Why `value` is not a valid value of `field` (without the flag's name), else undefined. */
export function checkFieldValue(field: SettingField, value: number | string | true): string | undefined {
  switch (field.type) {
    case 'switch':
      return value === true ? undefined : 'is a switch (true when given)';
    case 'choice':
      return typeof value === 'string' && field.choices?.includes(value)
        ? undefined
        : `must be ${field.choicesText ?? field.choices?.join(' or ')}`;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      break;
    case 'positive-int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
        return 'must be a positive integer';
      break;
    case 'seed':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 32 - 1)
        return 'must be a whole number from 0 to 4294967295';
      break;
  }
  return field.check?.(value as number);
}

/**
 * Settings (from the palette, a request file or a test) checked against the spec's schema: every key must be one a
 * field writes, with a value that field accepts. Returns the problems, empty when the settings are valid.
 */
export function settingsProblems(spec: AnalysisSpec, settings: Readonly<Record<string, Json>>): string[] {
  return Object.entries(settings).flatMap(([key, value]) => {
    const fields = spec.settings.filter((f) => f.key === key);
    if (fields.length === 0)
      return [
        `${spec.name} has no setting "${key}" (known: ${[...new Set(spec.settings.map((f) => f.key))].join(', ') || 'none'})`,
      ];
    const reasons = fields.map((f) => {
      const flagValue = f.fromSetting ? f.fromSetting(value) : (value as number | string | true);
      if (flagValue === undefined || flagValue === null) return `is not a value --${f.flag} writes`;
      return checkFieldValue(f, flagValue);
    });
    return reasons.some((r) => r === undefined)
      ? []
      : [
          `${spec.name} setting "${key}" ${reasons.filter((r) => r !== undefined).join('; ')}, got ${JSON.stringify(value)}`,
        ];
  });
}

/** The fields' flags as the help lists them: `[--top-k K] [--pooling states|logits] [--shuffle-labels]`. */
export function flagsHelp(spec: AnalysisSpec): string {
  return spec.settings
    .map((f) => {
      if (f.type === 'switch') return `[--${f.flag}]`;
      const metavar =
        f.metavar ??
        (f.type === 'choice' ? (f.choices ?? []).join('|') : f.flag.split('-').pop()!.toUpperCase());
      return `[--${f.flag} ${metavar}]`;
    })
    .join(' ');
}
