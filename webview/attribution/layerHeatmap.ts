import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import * as echarts from 'echarts/core';
import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { Baseline } from '../../src/core/attribution';
import type { AttributionView } from '../../src/protocol/attribution';
import { RankLensPart } from '../shared/part';
import { chartColors } from '../shared/theme';
import { heatmapOption, type HeatCell } from './heatmapOption';

echarts.use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export const layerHeatmapStyles = css`
  .heatmap-scroll {
    overflow-x: auto;
  }
  #heatmap {
    min-width: 100%;
  }
`;

/**
 * Every layer's attributions of one baseline as a layers × tokens heatmap (echarts), each row on its own
 * scale or all on one (`rl-heat-scale`); a click on a row selects its layer (`rl-select`). Says when it
 * has drawn (`rl-drawn`, with the milliseconds it took).
 */
class LayerHeatmapView extends RankLensPart {
  @property({ attribute: false }) view!: AttributionView;
  @property({ attribute: false }) layers: number[] = [];
  @property({ attribute: false }) baseline!: Baseline;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) shared = false;
  /** Changes with the theme: the heatmap redraws in its colours. */
  @property({ attribute: false }) theme = 0;
  private chart: echarts.ECharts | undefined;
  /** What the heatmap was last drawn for: it redraws only when this changes. */
  private drawnKey = '';
  private cells: HeatCell[] = [];
  private rowMax: number[] = [];

  override render() {
    return html`
      <h3>Layers × tokens (${this.baseline}); click a row to select its layer</h3>
      <div class="legend">
        <span class="note-inline" id="heat-scale-label"
          >${
            this.shared
              ? 'One colour scale for all layers: rows compare with each other.'
              : 'Each layer (row) on its own colour scale, ± its largest |attribution| (shown beside the layer): attributions in the top layers are often several times those of the low layers, and one scale would leave the low layers blank.'
          }</span
        >
        <vscode-checkbox
          id="heat-shared"
          label="one colour scale for all layers"
          ?checked=${this.shared}
          @change=${(e: Event) => this.emit('rl-heat-scale', (e.target as HTMLInputElement).checked)}
        ></vscode-checkbox>
      </div>
      <div class="heatmap-scroll"><div id="heatmap"></div></div>
    `;
  }

  override updated(changed: Map<string, unknown>): void {
    const el = this.querySelector<HTMLDivElement>('#heatmap');
    if (!el) return;
    const started = performance.now();
    if (changed.has('view') || changed.has('theme')) this.drawnKey = '';
    const colors = chartColors();
    const key = `${this.baseline} ${this.layer} ${this.shared} ${colors.foreground} ${colors.background}`;
    if (!this.chart) {
      const tokens = this.view.result.tokens.length;
      el.style.width = `${Math.max(el.parentElement?.clientWidth ?? 600, 90 + tokens * 16)}px`;
      el.style.height = `${110 + this.layers.length * 30}px`;
      this.chart = echarts.init(el, undefined, { renderer: 'canvas' });
      this.chart.on('click', (p) => {
        const layer = this.layers[(p.value as number[])[1]];
        if (layer !== undefined) this.emit('rl-select', { layer });
      });
      new ResizeObserver(() => this.chart?.resize()).observe(el);
    }
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const entries = this.layers.map((k) =>
      this.view.result.layers.find((e) => e.layer === k && e.baseline === this.baseline),
    );
    const drawn = heatmapOption(this.view, this.layers, entries, this.layer, this.shared, colors);
    this.chart.setOption(drawn.option, true);
    this.cells = drawn.cells;
    this.rowMax = drawn.rowMax;
    this.emit('rl-drawn', performance.now() - started);
  }

  /** The heatmap as a PNG data URL, on the theme's background. */
  pngDataUrl(): string {
    if (!this.chart) throw new Error('the heatmap is not drawn yet');
    return this.chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: chartColors().background });
  }

  /** What the heatmap shows, as drawn (tests and screenshots read it). */
  report() {
    const option = this.chart?.getOption() as
      { series?: { data?: unknown[] }[]; xAxis?: { axisLabel?: { color?: string } }[] } | undefined;
    return {
      heatmapCells: option?.series?.[0]?.data?.length ?? 0,
      axisLabelColor: option?.xAxis?.[0]?.axisLabel?.color ?? '',
      heatmapColouredCells: this.colouredCellsPerRow(),
      heatmapRowMax: this.rowMax,
    };
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
    const rows: number[] = new Array<number>(this.layers.length).fill(0);
    for (const [column, row] of this.cells) {
      const [x, y] = chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [column, row]);
      const pixel = ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data;
      const difference = Math.max(...[0, 1, 2].map((c) => Math.abs(pixel[c] - zero[c])));
      if (difference > 24) rows[row]++;
    }
    return rows;
  }
}

customElements.define('rl-layer-heatmap', LayerHeatmapView);

declare global {
  interface HTMLElementTagNameMap {
    'rl-layer-heatmap': LayerHeatmapView;
  }
}
