import { css, html, nothing, type TemplateResult } from 'lit';
import * as echarts from 'echarts/core';
import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Baseline, LayerAttribution } from '../../src/core/attribution';
import { attributionProtocol, type AttributionView } from '../../src/protocol/attribution';
import {
  absoluteMass,
  colouredText,
  isTextToken as isText,
  scaleLegend,
  scaleLimit,
  visiblyColoured,
  zeroByConstruction,
} from '../shared/attributionText';
import { RankLensApp, attributionTextStyles, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { cssom } from '../shared/cssom';
import { textTooltip } from '../shared/charts';
import { chartColors, themeClass } from '../shared/theme';
import { formatValue, scaleStops, spanBackground } from './colors';

echarts.use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

const BASELINE_LABELS: Record<Baseline, string> = {
  'empty-query': 'empty query (query WordPieces → [PAD])',
  'empty-document': 'empty document (passage WordPieces → [PAD])',
};

function layerLabel(layer: number, numLayers: number): string {
  if (layer === 0) return 'Layer 0 (embedding output)';
  if (layer === numLayers) return `Layer ${layer} (after the last layer)`;
  return `Layer ${layer}`;
}

const DEFAULT_STATE = {
  layer: -1,
  baseline: '' as Baseline | '',
  oneScale: false,
  /** The heatmap's rows on one colour scale; by default each layer has its own (low layers are small). */
  sharedHeatScale: false,
};

class AttributionApp extends RankLensApp<typeof DEFAULT_STATE> {
  static override styles = [
    panelStyles,
    attributionTextStyles,
    css`
      .sub {
        margin-bottom: 10px;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 16px;
        align-items: end;
        margin: 8px 0 12px;
      }
      .controls label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .controls vscode-single-select {
        min-width: 240px;
      }
      #baseline {
        min-width: 360px;
      }
      .actions {
        margin-left: auto;
        display: flex;
        gap: 8px;
      }
      .cards {
        grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
      }
      .ok {
        opacity: 0.75;
        margin: 4px 0 8px;
      }
      .cut {
        opacity: 0.45;
        font-style: italic;
      }
      .specials {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-top: 6px;
        font-family: var(--vscode-editor-font-family);
        font-size: 0.9em;
      }
      .specials span {
        border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
        border-radius: 3px;
        padding: 0 6px;
      }
      .note-inline {
        opacity: 0.8;
      }
      .explain {
        opacity: 0.8;
        font-size: 0.9em;
        max-width: 60em;
      }
      .heatmap-scroll {
        overflow-x: auto;
      }
      #heatmap {
        min-width: 100%;
      }
      .swatch {
        display: inline-block;
        width: 0.9em;
        height: 0.9em;
        border-radius: 2px;
        vertical-align: -0.1em;
        margin-right: 6px;
        border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
      }
      .saved {
        margin-top: 14px;
        opacity: 0.8;
        word-break: break-all;
      }
    `,
  ];

  private view: AttributionView | undefined;
  private chart: echarts.ECharts | undefined;
  private chartKey = '';
  /** The heatmap's cells as drawn: [token, row, value on the row's scale, attribution]. */
  private heatCells: [number, number, number, number][] = [];
  /** Largest |attribution| of each heatmap row (layer order). */
  private heatRowMax: number[] = [];
  protected readonly channel = connect(attributionProtocol, {
    notifications: {
      show: (view) => {
        this.view = view;
        const layers = this.layers();
        const baselines = this.baselines();
        // Restored state wins; else the middle layer (the embeddings and the top are the least telling)
        // and the empty document, which puts the passage tokens in play.
        if (!layers.includes(this.state.layer))
          this.state.layer = layers[Math.floor((layers.length - 1) / 2)] ?? 0;
        if (!this.state.baseline || !baselines.includes(this.state.baseline))
          this.state.baseline = baselines.includes('empty-document')
            ? 'empty-document'
            : (baselines[0] ?? 'empty-query');
        this.chartKey = '';
        this.requestUpdate();
      },
    },
    requests: {
      exportPng: () => this.savePng(),
      setHeatScale: async ({ scale }) => {
        this.setState({ sharedHeatScale: scale === 'shared' });
        await this.updateComplete;
        return this.report();
      },
      selectLayer: async ({ layer }) => {
        if (!this.layers().includes(layer)) throw new Error(`layer ${layer} is not in this result`);
        this.select({ layer });
        await this.updateComplete;
        return this.report();
      },
    },
  });

  constructor() {
    super(DEFAULT_STATE);
  }

  protected override themeChanged(): void {
    this.chartKey = '';
    super.themeChanged();
  }

  private get layer(): number {
    return this.state.layer;
  }

  private get baseline(): Baseline {
    return this.state.baseline || 'empty-query';
  }

  private layers(): number[] {
    return [...new Set(this.view?.result.layers.map((e) => e.layer))].sort((a, b) => a - b);
  }

  private baselines(): Baseline[] {
    return [...new Set(this.view?.result.layers.map((e) => e.baseline))];
  }

  private entry(): LayerAttribution | undefined {
    return this.view?.result.layers.find((e) => e.layer === this.layer && e.baseline === this.baseline);
  }

  private async savePng(): Promise<{ file: string }> {
    if (!this.chart) throw new Error('the heatmap is not drawn yet');
    const dataUrl = this.chart.getDataURL({
      type: 'png',
      pixelRatio: 2,
      backgroundColor: chartColors().background,
    });
    return this.channel.endpoint.request('savePng', { dataUrl });
  }

  override render() {
    const v = this.view;
    if (!v) return html`<p>Computing Integrated Gradients…</p>`;
    const entry = this.entry();
    const { tokens } = v.result;
    const values = entry?.attributions ?? tokens.map(() => 0);
    // Each text on its own scale by default: the query's attributions are often tens of times the
    // passage's, and one shared scale would leave the passage looking uncoloured.
    const both = scaleLimit(tokens, values);
    const queryLimit = this.state.oneScale ? both : scaleLimit(tokens, values, 0);
    const passageLimit = this.state.oneScale ? both : scaleLimit(tokens, values, 1);
    const query = colouredText(v.query, tokens, values, 0, queryLimit);
    const passage = colouredText(v.passage, tokens, values, 1, passageLimit);
    // Built apart so no template whitespace lands inside the pre-wrap text box.
    const cut = v.passage.slice(passage.end);
    const passageContent = html`${passage.spans}${
      cut
        ? html`<span class="cut" title="beyond the model's maximum length: not seen by the model"
            >${cut}</span
          >`
        : nothing
    }`;
    const unconverged = v.result.layers.filter((e) => !e.converged);
    const mass = absoluteMass(values);
    const top = tokens
      .map((t, i) => ({ t, v: values[i] }))
      .filter(({ t }) => t.segment === 1 && isText(t))
      .sort((a, b) => Math.abs(b.v) - Math.abs(a.v))
      .slice(0, 10);
    const pairLabel = v.qid ? `qid ${v.qid} · pid ${v.pid} · ` : '';
    const notes = (['query', 'passage'] as const).flatMap((side) => {
      const limit = side === 'query' ? scaleLimit(tokens, values, 0) : scaleLimit(tokens, values, 1);
      if (limit !== 0) return [];
      return [
        zeroByConstruction(this.layer, v.numLayers, this.baseline, side) ??
          `Every ${side} token's attribution is 0 at this layer.`,
      ];
    });
    return html`
      <h2>Integrated Gradients</h2>
      <div class="sub">
        ${pairLabel}model ${v.model} · score ${formatValue(v.result.score, 6)} · ${tokens.length} tokens ·
        tolerance ${(100 * v.result.tolerance).toFixed(0)}%
      </div>
      <div class="controls">
        <label
          >Layer
          <vscode-single-select
            id="layer"
            .value=${String(this.layer)}
            @change=${(e: Event) => this.select({ layer: Number((e.target as HTMLSelectElement).value) })}
          >
            ${this.layers().map(
              (k) =>
                html`<vscode-option value=${String(k)} ?selected=${k === this.layer}
                  >${layerLabel(k, v.numLayers)}</vscode-option
                >`,
            )}
          </vscode-single-select></label
        >
        <label
          >Baseline x′
          <vscode-single-select
            id="baseline"
            .value=${this.baseline}
            @change=${(e: Event) => this.select({ baseline: (e.target as HTMLSelectElement).value as Baseline })}
          >
            ${this.baselines().map(
              (b) =>
                html`<vscode-option value=${b} ?selected=${b === this.baseline}
                  >${BASELINE_LABELS[b]}</vscode-option
                >`,
            )}
          </vscode-single-select></label
        >
        <div class="actions">
          <vscode-button secondary @click=${() => this.channel.endpoint.notify('openJson', {})}
            >Open JSON</vscode-button
          >
          <vscode-button secondary @click=${() => void this.savePng()}>Save PNG</vscode-button>
        </div>
      </div>
      ${entry ? this.metrics(entry) : nothing}
      ${
        unconverged.length > 0
          ? html`<div class="warning" role="alert">
              <b>Not converged:</b> the completeness tolerance of ${(100 * v.result.tolerance).toFixed(0)}%
              was not reached for
              ${unconverged
                .map(
                  (e) =>
                    `layer ${e.layer} / ${e.baseline} (${(100 * e.completenessError).toFixed(2)}% with ${e.points} points)`,
                )
                .join(', ')}.
              Those attributions do not add up to F(x) − F(x′); read them with care.
            </div>`
          : html`<div class="ok">
              All ${v.result.layers.length} integrals converged (Σ attributions within
              ${(100 * v.result.tolerance).toFixed(0)}% of F(x) − F(x′)).
            </div>`
      }
      <h3>Attribution at ${layerLabel(this.layer, v.numLayers).toLowerCase()}, ${this.baseline}</h3>
      ${notes.map((n) => html`<div class="note" role="note">${n}</div>`)}
      <div class="texts">
        <div class="role">Query</div>
        <div class="text" id="query">${query.spans}${v.query.slice(query.end)}</div>
        <div class="role">Passage</div>
        <div class="text" id="passage">${passageContent}</div>
      </div>
      <div class="specials">
        ${tokens.map((t, i) => {
          if (isText(t)) return nothing;
          const limit = t.segment === 0 ? queryLimit : passageLimit;
          return html`<span
            ${cssom({ 'background-color': spanBackground(values[i], limit) })}
            title="position ${i}${Math.abs(values[i]) > limit ? ' (beyond the colour scale)' : ''}"
            >${t.text} ${formatValue(values[i])}</span
          >`;
        })}
      </div>
      <div class="legend">
        ${
          this.state.oneScale
            ? scaleLegend('query and passage', both)
            : html`${scaleLegend('query', queryLimit)}${scaleLegend('passage', passageLimit)}`
        }
        <span class="note-inline">blue lowers the score, red raises it; white/background = 0</span>
        <vscode-checkbox
          id="one-scale"
          label="one scale for both texts (compare their magnitudes)"
          ?checked=${this.state.oneScale}
          @change=${(e: Event) => this.setState({ oneScale: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
      </div>
      <h3>Layers × tokens (${this.baseline}); click a row to select its layer</h3>
      <div class="legend">
        <span class="note-inline" id="heat-scale-label"
          >${
            this.state.sharedHeatScale
              ? 'One colour scale for all layers: rows compare with each other.'
              : 'Each layer (row) on its own colour scale, ± its largest |attribution| (shown beside the layer): attributions in the top layers are often several times those of the low layers, and one scale would leave the low layers blank.'
          }</span
        >
        <vscode-checkbox
          id="heat-shared"
          label="one colour scale for all layers"
          ?checked=${this.state.sharedHeatScale}
          @change=${(e: Event) => this.setState({ sharedHeatScale: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
      </div>
      <div class="heatmap-scroll"><div id="heatmap"></div></div>
      <h3>Top 10 passage tokens by |attribution|</h3>
      <table id="top">
        <thead>
          <tr>
            <th>#</th>
            <th>token</th>
            <th>position in passage</th>
            <th>attribution</th>
            <th title="|attribution| / Σ|attribution| over all tokens at this layer">share of Σ|a|</th>
          </tr>
        </thead>
        <tbody>
          ${top.map(
            ({ t, v: value }, rank) =>
              html`<tr>
                <td>${rank + 1}</td>
                <td>
                  <span
                    class="swatch"
                    ${cssom({ 'background-color': spanBackground(value, passageLimit) })}
                  ></span
                  ><code>${t.text}</code>
                </td>
                <td>chars ${t.start}–${t.end}</td>
                <td class="num">${formatValue(value, 5)}</td>
                <td class="num">${mass > 0 ? `${((100 * Math.abs(value)) / mass).toFixed(1)}%` : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="explain">
        Share of Σ|a|: this token's |attribution| as a part of the sum of |attribution| over every token at
        this layer — how much of the total attribution mass it carries (signed shares of Σ a are not shown: Σ
        a can be near 0 when positive and negative attributions cancel, which makes such shares meaningless).
      </p>
      <div class="saved">Saved to <code>${v.savedTo}</code></div>
    `;
  }

  private metrics(e: LayerAttribution): TemplateResult {
    const cards: [string, string][] = [
      ['F(x)', formatValue(e.scoreInput, 5)],
      ['F(x′)', formatValue(e.scoreBaseline, 5)],
      ['F(x) − F(x′)', formatValue(e.scoreInput - e.scoreBaseline, 5)],
      ['Σ attributions', formatValue(e.sum, 5)],
      ['completeness error', `${(100 * e.completenessError).toFixed(3)}%`],
      ['points used', String(e.points)],
    ];
    return html`<div class="cards" id="metrics">
      ${cards.map(
        ([name, value]) =>
          html`<div class="card">
            <div class="value">${value}</div>
            <div class="name">${name}</div>
          </div>`,
      )}
    </div>`;
  }

  private select(change: { layer?: number; baseline?: Baseline }): void {
    if (change.layer !== undefined && Number.isFinite(change.layer)) this.state.layer = change.layer;
    if (change.baseline !== undefined) this.state.baseline = change.baseline;
    this.setState({});
  }

  override updated(): void {
    const v = this.view;
    const el = this.renderRoot.querySelector<HTMLDivElement>('#heatmap');
    if (!v || !el) return;
    const started = performance.now();
    const layers = this.layers();
    const { tokens } = v.result;
    const colors = chartColors();
    const shared = this.state.sharedHeatScale;
    const key = `${this.baseline} ${this.layer} ${shared} ${colors.foreground} ${colors.background}`;
    if (!this.chart) {
      el.style.width = `${Math.max(el.parentElement?.clientWidth ?? 600, 90 + tokens.length * 16)}px`;
      el.style.height = `${110 + layers.length * 30}px`;
      this.chart = echarts.init(el, undefined, { renderer: 'canvas' });
      this.chart.on('click', (p) => {
        const layer = layers[(p.value as number[])[1]];
        if (layer !== undefined) this.select({ layer });
      });
      new ResizeObserver(() => this.chart?.resize()).observe(el);
    }
    if (key === this.chartKey) return;
    this.chartKey = key;
    const entries = layers.map((k) =>
      v.result.layers.find((e) => e.layer === k && e.baseline === this.baseline),
    );
    // Cells carry [token, row, value on the row's ±1 scale, attribution].
    const rowLimits = entries.map((e) => Math.max(0, ...(e?.attributions ?? []).map(Math.abs)));
    const sharedLimit = Math.max(1e-12, ...rowLimits);
    const data: [number, number, number, number][] = [];
    entries.forEach((e, row) => {
      const limit = shared ? sharedLimit : rowLimits[row] || 1;
      e?.attributions.forEach((value, column) => data.push([column, row, value / limit, value]));
    });
    const text = colors.foreground;
    this.chart.setOption(
      {
        backgroundColor: 'transparent',
        tooltip: textTooltip(colors, (p: { value: [number, number, number, number] }) => [
          `${tokens[p.value[0]].text} (position ${p.value[0]})`,
          `${layerLabel(layers[p.value[1]], v.numLayers)}: ${formatValue(p.value[3], 6)}`,
        ]),
        grid: { left: shared ? 70 : 130, right: 100, top: 10, bottom: 80 },
        xAxis: {
          type: 'category',
          data: tokens.map((t) => t.text),
          axisLabel: { color: text, rotate: 60, interval: 0, fontSize: 10 },
          axisLine: { lineStyle: { color: colors.muted } },
          splitArea: { show: false },
        },
        yAxis: {
          type: 'category',
          data: layers.map(
            (k, row) =>
              `${k === this.layer ? '▶ ' : ''}layer ${k}${shared ? '' : ` ±${rowLimits[row] > 0 ? formatValue(rowLimits[row], 2) : '0'}`}`,
          ),
          axisLabel: { color: text },
          axisLine: { lineStyle: { color: colors.muted } },
        },
        visualMap: {
          min: -1,
          max: 1,
          dimension: 2,
          calculable: false,
          text: shared
            ? [`+${formatValue(sharedLimit, 3)}`, formatValue(-sharedLimit, 3)]
            : ["+ row's max", "− row's max"],
          orient: 'vertical',
          right: 0,
          top: 'center',
          itemHeight: Math.max(60, layers.length * 30 - 30),
          textStyle: { color: text },
          inRange: { color: scaleStops(colors.background) },
        },
        series: [
          {
            type: 'heatmap',
            data,
            emphasis: { itemStyle: { borderColor: text, borderWidth: 1 } },
          },
        ],
        animation: false,
      },
      true,
    );
    this.heatCells = data;
    this.heatRowMax = rowLimits;
    this.channel.timing('attribution heatmap', performance.now() - started);
    this.channel.endpoint.notify('rendered', this.report());
  }

  /**
   * Per heatmap row (layer order), how many cells are visibly coloured as drawn: the canvas pixel at the
   * cell's centre differs from the theme background (the scale's 0) by more than a faint tint.
   */
  private colouredCellsPerRow(): number[] {
    const chart = this.chart;
    if (!chart) return [];
    const background = chartColors().background;
    // The chart as painted now (echarts itself paints on the next animation frame).
    const ctx = chart.renderToCanvas({ pixelRatio: 1, backgroundColor: background }).getContext('2d');
    const probe = document.createElement('canvas').getContext('2d');
    if (!ctx || !probe) return [];
    probe.fillStyle = background;
    probe.fillRect(0, 0, 1, 1);
    const zero = probe.getImageData(0, 0, 1, 1).data;
    const rows: number[] = new Array<number>(this.layers().length).fill(0);
    for (const [column, row] of this.heatCells) {
      const [x, y] = chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [column, row]);
      const pixel = ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data;
      const difference = Math.max(...[0, 1, 2].map((c) => Math.abs(pixel[c] - zero[c])));
      if (difference > 24) rows[row]++;
    }
    return rows;
  }

  private report() {
    const option = this.chart?.getOption() as
      { series?: { data?: unknown[] }[]; xAxis?: { axisLabel?: { color?: string } }[] } | undefined;
    const { spans, coloured } = visiblyColoured(this.renderRoot);
    return {
      layers: this.renderRoot.querySelectorAll('#layer vscode-option').length,
      baselines: this.renderRoot.querySelectorAll('#baseline vscode-option').length,
      coloredSpans: spans,
      visiblyColored: coloured,
      heatmapCells: option?.series?.[0]?.data?.length ?? 0,
      theme: themeClass(),
      axisLabelColor: option?.xAxis?.[0]?.axisLabel?.color ?? '',
      layer: this.layer,
      heatScale: this.state.sharedHeatScale ? ('shared' as const) : ('per-layer' as const),
      heatmapColouredCells: this.colouredCellsPerRow(),
      heatmapRowMax: this.heatRowMax,
    };
  }
}

customElements.define('rl-app', AttributionApp);
