import { css, html, nothing } from 'lit';
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { EvaluationResult } from '../../src/core/eval/metrics';
import { evaluationProtocol } from '../../src/protocol/evaluation';
import { RankLensApp, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { textTooltip } from '../shared/charts';
import { chartColors } from '../shared/theme';

echarts.use([BarChart, GridComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

/** Buckets of the rank at which each judged query finds its first relevant passage. */
function firstRelevantHistogram(result: EvaluationResult): { labels: string[]; counts: number[] } {
  const labels = ['1', '2', '3', '4-5', '6-10', '11-100', '101-1000', 'none'];
  const counts = new Array<number>(labels.length).fill(0);
  for (const q of result.perQuery) {
    const r = q.firstRelevantRank;
    const bucket =
      r === undefined
        ? 7
        : r === 1
          ? 0
          : r === 2
            ? 1
            : r === 3
              ? 2
              : r <= 5
                ? 3
                : r <= 10
                  ? 4
                  : r <= 100
                    ? 5
                    : r <= 1000
                      ? 6
                      : 7;
    counts[bucket]++;
  }
  return { labels, counts };
}

/** "dev600-heldout: 200" or "DL19: 43, dev600-train: 400", in order of first appearance among the judged queries. */
function splitCounts(result: EvaluationResult, splits: Readonly<Record<string, string>>): string {
  const counts = new Map<string, number>();
  for (const q of result.perQuery) {
    const split = splits[q.qid] ?? '—';
    counts.set(split, (counts.get(split) ?? 0) + 1);
  }
  return [...counts].map(([split, n]) => `${split}: ${n}`).join(', ');
}

class EvaluationView extends RankLensApp<Record<string, never>> {
  static override styles = [
    panelStyles,
    css`
      :host {
        padding: 12px 16px;
      }
      h2 {
        font-weight: 600;
        font-size: 1.2em;
        margin: 0 0 4px;
      }
      .files {
        opacity: 0.8;
        margin-bottom: 12px;
        word-break: break-all;
      }
      .metrics {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(140px, 1fr));
        gap: 8px;
        margin: 12px 0;
      }
      .metric {
        border: 1px solid var(--vscode-panel-border, #444);
        border-radius: 4px;
        padding: 8px;
      }
      .metric .value {
        font-size: 1.6em;
        font-variant-numeric: tabular-nums;
      }
      .metric .name {
        opacity: 0.8;
      }
      #chart {
        width: 100%;
        height: 260px;
      }
      vscode-table {
        max-height: 360px;
      }
      .splits {
        margin: 8px 0;
        opacity: 0.9;
      }
      .saved {
        margin: 8px 0;
        display: flex;
        gap: 8px;
        align-items: center;
      }
    `,
  ];

  private result: EvaluationResult | undefined;
  private savedTo = '';
  private splits: Readonly<Record<string, string>> = {};
  private chart: echarts.ECharts | undefined;
  private drawnKey = '';
  protected readonly channel = connect(evaluationProtocol, {
    notifications: {
      show: ({ result, savedTo, splits }) => {
        this.result = result;
        this.savedTo = savedTo;
        this.splits = splits;
        this.drawnKey = '';
        this.requestUpdate();
      },
    },
    requests: {},
  });

  constructor() {
    super({});
  }

  /** Charts take their colours from the theme when drawn: redraw when the user switches theme. */
  protected override themeChanged(): void {
    this.drawnKey = '';
    super.themeChanged();
  }

  override render() {
    const r = this.result;
    if (!r) return html`<p>Evaluating…</p>`;
    const cards: [string, number][] = [
      [`MRR@${r.options.mrrDepth}`, r.mrr],
      [`nDCG@${r.options.ndcgDepth}`, r.ndcg],
      ...Object.entries(r.recall).map(([k, v]): [string, number] => [`Recall@${k}`, v]),
    ];
    const worst = [...r.perQuery]
      .sort((a, b) => a.reciprocalRank - b.reciprocalRank || a.ndcg - b.ndcg)
      .slice(0, 200);
    return html`
      <h2>Evaluation</h2>
      <div class="files">
        run ${r.runFile}<br />qrels ${r.qrelsFile} (relevant: grade ≥ ${r.options.minRelevance})
      </div>
      <div class="metrics">
        ${cards.map(
          ([name, value]) =>
            html`<div class="metric">
              <div class="value">${value.toFixed(4)}</div>
              <div class="name">${name}</div>
            </div>`,
        )}
        <div class="metric">
          <div class="value">${r.queriesEvaluated}</div>
          <div class="name">queries evaluated</div>
        </div>
      </div>
      <div>
        ${r.queriesInQrels} judged, ${r.queriesInRun}
        ranked${r.queriesMissingFromRun ? html`, <b>${r.queriesMissingFromRun} judged but not ranked</b> (0 in MRR)` : nothing}${r.queriesWithoutJudgements ? html`, ${r.queriesWithoutJudgements} ranked without judgements (ignored)` : nothing}.
      </div>
      <div class="splits">Queries by split: ${splitCounts(r, this.splits)}</div>
      <div id="chart"></div>
      <div class="saved">
        Saved to <code>${this.savedTo}</code>
        <vscode-button secondary @click=${() => this.channel.endpoint.notify('openJson', {})}
          >Open JSON</vscode-button
        >
      </div>
      <h3>Hardest queries</h3>
      <vscode-table zebra bordered-columns resizable columns='["16%","20%","16%","16%","16%","16%"]'>
        <vscode-table-header slot="header">
          <vscode-table-header-cell>qid</vscode-table-header-cell>
          <vscode-table-header-cell>split</vscode-table-header-cell>
          <vscode-table-header-cell>reciprocal rank</vscode-table-header-cell>
          <vscode-table-header-cell>first relevant at</vscode-table-header-cell>
          <vscode-table-header-cell>nDCG@${r.options.ndcgDepth}</vscode-table-header-cell>
          <vscode-table-header-cell>relevant</vscode-table-header-cell>
        </vscode-table-header>
        <vscode-table-body slot="body">
          ${worst.map(
            (q) =>
              html`<vscode-table-row>
                <vscode-table-cell>${q.qid}</vscode-table-cell>
                <vscode-table-cell>${this.splits[q.qid] ?? ''}</vscode-table-cell>
                <vscode-table-cell>${q.reciprocalRank.toFixed(3)}</vscode-table-cell>
                <vscode-table-cell
                  >${q.inRun ? (q.firstRelevantRank ?? '—') : 'not ranked'}</vscode-table-cell
                >
                <vscode-table-cell>${q.ndcg.toFixed(3)}</vscode-table-cell>
                <vscode-table-cell>${q.relevantCount}</vscode-table-cell>
              </vscode-table-row>`,
          )}
        </vscode-table-body>
      </vscode-table>
    `;
  }

  override updated(): void {
    const r = this.result;
    const el = this.renderRoot.querySelector<HTMLDivElement>('#chart');
    if (!r || !el) return;
    const colors = chartColors();
    const key = `${r.runFile} ${colors.foreground} ${colors.accent} ${colors.background}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    if (!this.chart) {
      this.chart = echarts.init(el, undefined, { renderer: 'canvas' });
      this.chart.on('finished', () => this.sendRendered());
      new ResizeObserver(() => this.chart?.resize()).observe(el);
    }
    const { labels, counts } = firstRelevantHistogram(r);
    const text = colors.foreground;
    const axis = { lineStyle: { color: colors.muted } };
    this.chart.setOption(
      {
        title: { text: 'Rank of the first relevant passage', textStyle: { color: text, fontSize: 13 } },
        tooltip: textTooltip(colors, (p: { name: string; value: number }) => [
          `first relevant passage at rank ${p.name}: ${p.value} queries`,
        ]),
        grid: { left: 40, right: 16, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: labels, axisLabel: { color: text }, axisLine: axis, axisTick: axis },
        yAxis: {
          type: 'value',
          name: 'queries',
          axisLabel: { color: text },
          nameTextStyle: { color: text },
          axisLine: axis,
          splitLine: { lineStyle: { color: colors.border } },
        },
        series: [
          {
            type: 'bar',
            data: counts,
            itemStyle: {
              color: colors.accent,
              borderColor: colors.highContrast ? colors.foreground : 'transparent',
              borderWidth: colors.highContrast ? 1 : 0,
            },
          },
        ],
        animation: false,
      },
      true,
    );
  }

  private sendRendered(): void {
    this.channel.endpoint.notify('rendered', {
      charts: this.renderRoot.querySelectorAll('canvas').length,
      rows: this.renderRoot.querySelectorAll('vscode-table-row').length,
    });
  }
}

customElements.define('rl-app', EvaluationView);
