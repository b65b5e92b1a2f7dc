// The report's content — one section per analysis (each analysis's spec builds its own) and the two-model
// comparison — built from result files. Pure data and functions (no DOM, no node): the offline HTML report and
// the extension's report panel both draw exactly these sections.
import type { Json, ModelDescription } from '../analysis/analysis';
import { ANALYSIS_SPECS } from '../analysis/registry';
import type { ResultFile } from '../analysis/runner';
import type { PaperLayerAlignment, ReportOptions, ReportPalette, ReportSection } from './charts';
import { modelComparisonSection, type ComparedResults } from './compareModels';

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
  /** A second model's results, compared with these query by query in a section of its own. */
  readonly compareWith?: ComparedResults;
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
export function reportSections(
  results: Readonly<Record<string, ResultFile>>,
  palette: ReportPalette,
  options: ReportOptions = {},
): ReportSection[] {
  const sections = ANALYSIS_SPECS.flatMap((spec) => {
    const file = results[spec.name];
    const section = file ? spec.report(file, palette, options) : undefined;
    return section ? [section] : [];
  });
  const comparison = options.compareWith
    ? modelComparisonSection(options.modelName ?? 'this model', results, options.compareWith, palette)
    : undefined;
  return comparison ? [...sections, comparison] : sections;
}

/** A fixed light palette for the standalone HTML report. */
export const LIGHT_PALETTE: ReportPalette = {
  text: '#1f1f1f',
  muted: '#616161',
  grid: '#c8c8c8',
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'],
};
