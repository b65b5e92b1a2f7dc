// The attention section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { ResultFile } from '../runner';
import { csvOf } from '../../report/tableCells';
import type { MeanInterval, SignificanceStatement } from '../../eval/significance';
import { PAPER_ATTENTION } from './paper';
import {
  type ReportPalette,
  type ChartSpec,
  type ReportSection,
  digits,
  baseOption,
  line,
  INTERVAL_LEGEND,
  intervalLines,
  type ReportOptions,
  paperPointsFor,
  depthTag,
  alignmentNotes,
} from '../../report/charts';

interface AttentionStatisticResult {
  readonly description: string;
  readonly perHead: readonly (readonly number[])[];
  readonly meanOverHeads: readonly number[];
  readonly meanOverHeadsIntervals?: readonly MeanInterval[];
  readonly chance: number;
  readonly pairs: number;
}
interface AttentionResultLike {
  readonly pairs: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly convention?: string;
  readonly significance?: SignificanceStatement;
  readonly statistics: Readonly<Record<string, AttentionStatisticResult>>;
}

/** A statistic's description without the "A -> B: " its chart title already says. */
function withoutBlockName(description: string): string {
  return description.replace(/^[a-z]+ -> [a-z]+: /, '');
}

const ATTENTION_CHARTS: readonly { key: string; label: string }[] = [
  { key: 'toCls', label: 'to [CLS]' },
  { key: 'toSep', label: 'to [SEP] (both)' },
  { key: 'toPeriods', label: 'to periods' },
  { key: 'queryToQuery', label: 'query → query' },
  { key: 'queryToDocument', label: 'query → doc' },
  { key: 'documentToQuery', label: 'doc → query' },
  { key: 'documentToDocument', label: 'doc → doc' },
];

export function attentionSection(
  file: ResultFile,
  palette: ReportPalette,
  options: ReportOptions,
): ReportSection {
  const r = file.result as unknown as AttentionResultLike;
  const [headColor, meanColor, chanceColor, paperColor] = palette.series;
  const charts: ChartSpec[] = [];
  const rows: (string | number)[][] = [];
  const meanRows: (string | number)[][] = [];
  for (const { key, label } of ATTENTION_CHARTS) {
    const s = r.statistics[key];
    if (!s) continue;
    const perHead = s.perHead.flatMap((heads, l) => heads.map((v): [number, number] => [l + 1, v]));
    const mean = s.meanOverHeads.map((v, l): [number, number] => [l + 1, v]);
    const L = s.meanOverHeads.length;
    const paper = paperPointsFor(options)(PAPER_ATTENTION[key], L);
    const paperName = `paper (BERT-base${depthTag(options, L)})`;
    const intervals = s.meanOverHeadsIntervals ?? [];
    const legend = ['heads', 'mean over heads', ...(intervals.length ? [INTERVAL_LEGEND] : [])];
    const option = baseOption(palette, 'layer', 'attention share', [...legend, 'uniform', paperName]);
    option.series = [
      {
        name: 'heads',
        type: 'scatter',
        data: perHead,
        symbolSize: 6,
        itemStyle: { color: headColor, opacity: 0.6 },
      },
      line('mean over heads', mean, meanColor),
      ...intervalLines(intervals, meanColor, 1),
      line(
        'uniform',
        [
          [1, s.chance],
          [Math.max(L, 1), s.chance],
        ],
        chanceColor,
        true,
      ),
      line(paperName, paper, paperColor, true),
    ];
    charts.push({
      id: `attention-${key}`,
      title: `${label}: ${withoutBlockName(s.description)}`,
      option,
      height: 260,
    });
    s.perHead.forEach((heads, l) =>
      heads.forEach((v, h) => rows.push([key, l + 1, h + 1, digits(v, 4), digits(s.chance, 4)])),
    );
    intervals.forEach((i, l) =>
      meanRows.push([key, l + 1, digits(s.meanOverHeads[l], 4), digits(i.lower, 4), digits(i.upper, 4)]),
    );
  }
  const columns = ['statistic', 'layer', 'head', 'share', 'uniform'];
  return {
    id: 'attention',
    title: 'Figure 1 — where attention goes',
    description:
      `Mean attention share per head (dots) and its mean over heads (line) by layer, over ${r.pairs} relevant pairs; ` +
      'the dashed "uniform" line is what attention spread evenly over the real tokens would give (chance), the ' +
      'dashed paper line Zhan et al.\'s monoBERT (12 layers; their layers counted from 1). "A → B" is the paper\'s ' +
      "convention: the attention that weights A's representation for B's context (B's tokens attending to A).",
    notes: [
      ...(r.convention ? [r.convention] : []),
      ...(r.significance ? [r.significance.method] : []),
      ...alignmentNotes(options, r.numLayers),
    ],
    charts,
    tables: meanRows.length
      ? [
          {
            caption: 'Mean over heads by layer, with its 95% bootstrap interval over pairs',
            columns: ['statistic', 'layer', 'mean over heads', '95% CI low', '95% CI high'],
            rows: meanRows,
          },
        ]
      : [],
    csv: csvOf(columns, rows),
  };
}
