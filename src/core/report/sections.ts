// The report's content — one section per analysis (each analysis's spec builds its own) and the two-model
// comparison — built from result files. Pure data and functions (no DOM, no node): the offline HTML report and
// the extension's report panel both draw exactly these sections.
import type { Json, ModelDescription } from '../analysis/analysis';
import { ANALYSIS_SPECS } from '../analysis/registry';
import type { ResultFile } from '../analysis/runner';
import type { PaperLayerAlignment, ReportOptions, ReportPalette, ReportSection } from './charts';
import { modelComparisonSections, type ComparedResults } from './compareModels';
import { overlayModels } from './overlay';

export type {
  ChartOption,
  ChartSpec,
  PaperLayerAlignment,
  ReportOptions,
  ReportPalette,
  ReportSection,
  TableSpec,
} from './charts';
export { PAPER_LAYERS } from './charts';

/** What a report is made of: result files by analysis name, and how long each took. */
export interface ReportInput {
  readonly title: string;
  readonly model: ModelDescription;
  readonly results: Readonly<Record<string, ResultFile>>;
  readonly timings: readonly {
    readonly analysis: string;
    readonly seconds: number;
    readonly pairs: number;
  }[];
  /** Free lines about data and settings (the CLI's command line, the sample sizes). */
  readonly settings: readonly string[];
  /** How the paper's curves meet this model's layers (default: by relative depth when the depths differ). */
  readonly paperLayers?: PaperLayerAlignment;
  /**
   * Other models' results: their curves are drawn into this model's charts, and each is compared with this
   * model query by query in a section of its own.
   */
  readonly compareWith?: ComparedResults | readonly ComparedResults[];
}

/**
 * An analysis's settings as a line people read: "Settings: the analysis's defaults." when none were given, else
 * "Settings: kind attention; selection: kind rank, topK 10." (nested objects inline, lists comma-separated).
 */
export function settingsLine(
  settings: Json | Readonly<Record<string, Json | undefined>> | undefined,
): string {
  const text = (value: Json): string => {
    if (value === null) return 'none';
    if (Array.isArray(value)) return value.length > 8 ? `${value.length} items` : value.map(text).join(', ');
    if (typeof value === 'object')
      return Object.entries(value as Record<string, Json>)
        .map(([k, v]) => `${k} ${text(v)}`)
        .join(', ');
    return String(value);
  };
  const entries =
    settings && typeof settings === 'object' && !Array.isArray(settings)
      ? Object.entries(settings as Record<string, Json | undefined>).flatMap(([k, v]): [string, Json][] =>
          v === undefined ? [] : [[k, v]],
        )
      : [];
  if (entries.length === 0) return "Settings: the analysis's defaults.";
  return `Settings: ${entries.map(([k, v]) => `${k}: ${text(v)}`).join('; ')}.`;
}

/** The sections of every analysis present, in the registry's (the paper's) order. */
function analysisSections(
  results: Readonly<Record<string, ResultFile>>,
  palette: ReportPalette,
  options: ReportOptions,
): ReportSection[] {
  return ANALYSIS_SPECS.flatMap((spec) => {
    const file = results[spec.name];
    const section = file ? spec.report(file, palette, options) : undefined;
    return section ? [section] : [];
  });
}

/** The models compared with this one, as a list (one model may be given as is). */
export function comparedModels(compareWith: ReportOptions['compareWith']): readonly ComparedResults[] {
  if (!compareWith) return [];
  return Array.isArray(compareWith) ? compareWith : [compareWith as ComparedResults];
}

const layersOf = (results: Readonly<Record<string, ResultFile>>) =>
  Object.values(results)[0]?.model.numLayers ?? 0;

/**
 * The sections of every analysis present, in the registry's (the paper's) order; with other models to compare,
 * their curves drawn into these charts and one comparison section per other model.
 */
export function reportSections(
  results: Readonly<Record<string, ResultFile>>,
  palette: ReportPalette,
  options: ReportOptions = {},
): ReportSection[] {
  const sections = analysisSections(results, palette, options);
  const compared = comparedModels(options.compareWith);
  if (compared.length === 0) return sections;
  const name = options.modelName ?? 'this model';
  const overlaid = overlayModels(
    { name, layers: layersOf(results) },
    sections,
    compared.map((c) => ({
      name: c.name,
      layers: layersOf(c.results),
      sections: analysisSections(c.results, palette, { paperLayers: options.paperLayers }),
    })),
    palette,
  );
  return [...overlaid, ...modelComparisonSections(name, results, compared, palette)];
}

/** A fixed light palette for the standalone HTML report. */
export const LIGHT_PALETTE: ReportPalette = {
  text: '#1f1f1f',
  muted: '#616161',
  grid: '#c8c8c8',
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'],
};
