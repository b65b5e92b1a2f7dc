import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import * as echarts from 'echarts/core';
import { HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import {
  reportSections,
  type ChartSpec,
  type ReportInput,
  type ReportPalette,
  type ReportSection,
} from '../../src/core/report/sections';

echarts.use([
  HeatmapChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
  SVGRenderer,
]);

export type SaveFormat = 'png' | 'svg' | 'csv';

/** What the element needs from its page: colours, and where a saved chart or table goes. */
export interface ReportHost {
  palette(): ReportPalette;
  background(): string;
  save(name: string, format: SaveFormat, content: string): void | Promise<void>;
  /** Called once all charts of an input are drawn. */
  rendered?(summary: { sections: number; charts: number }): void;
}

/**
 * The analysis report: one section per analysis in the paper's order, each with its text, charts (Save
 * PNG / SVG) and tables (Save CSV). Drawn the same in the VS Code panel and in the offline HTML file.
 */
export class ReportView extends LitElement {
  static override styles = css`
    :host {
      display: block;
      padding: 12px 16px;
      color: var(--vscode-foreground);
      font-family: var(--vscode-font-family);
      font-size: var(--vscode-font-size);
      max-width: 1200px;
    }
    h1 {
      font-size: 1.5em;
      margin: 0 0 6px;
    }
    h2 {
      font-size: 1.25em;
      margin: 28px 0 6px;
      border-bottom: 1px solid var(--vscode-panel-border, #8884);
      padding-bottom: 4px;
    }
    h3 {
      font-size: 1em;
      margin: 12px 0 4px;
    }
    .meta,
    .note {
      opacity: 0.85;
    }
    .charts {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(420px, 1fr));
      gap: 12px 18px;
    }
    .chart {
      width: 100%;
    }
    .actions {
      display: flex;
      gap: 6px;
      margin: 2px 0 8px;
    }
    button {
      font: inherit;
      color: var(--vscode-button-secondaryForeground, inherit);
      background: var(--vscode-button-secondaryBackground, #8882);
      border: 1px solid var(--vscode-button-border, transparent);
      border-radius: 2px;
      padding: 2px 8px;
      cursor: pointer;
    }
    button:focus-visible {
      outline: 1px solid var(--vscode-focusBorder, #3794ff);
    }
    table {
      border-collapse: collapse;
      margin: 4px 0 8px;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      border: 1px solid var(--vscode-panel-border, #8884);
      padding: 2px 8px;
      text-align: right;
    }
    th:first-child,
    td:first-child {
      text-align: left;
    }
    caption {
      text-align: left;
      padding: 2px 0;
      opacity: 0.85;
    }
    ul {
      margin: 4px 0;
      padding-left: 20px;
    }
  `;

  input: ReportInput | undefined;
  host: ReportHost | undefined;
  private readonly charts = new Map<string, { chart: echarts.ECharts; spec: ChartSpec }>();
  private sections: ReportSection[] = [];

  /** Redraws every chart with the host's current colours (theme change). */
  redraw(): void {
    this.disposeCharts();
    this.requestUpdate();
  }

  override render() {
    const input = this.input;
    if (!input || !this.host) return html`<p>Running analyses…</p>`;
    this.sections = reportSections(input.results, this.host.palette(), {
      paperLayers: input.paperLayers,
      compareWith: input.compareWith,
      modelName: input.model.name,
    });
    const m = input.model;
    return html`
      <h1>${input.title}</h1>
      <div class="meta">
        Model <b>${m.name}</b>: ${m.numLayers} layers × ${m.numHeads} heads, hidden ${m.hiddenSize},
        ${m.numLabels === 2 ? 'two labels (score = P(relevant))' : 'one label (score = logit)'}; fingerprint
        ${m.fingerprint.slice(0, 12)}.
      </div>
      ${
        input.settings.length
          ? html`<ul class="meta">
              ${input.settings.map((s) => html`<li>${s}</li>`)}
            </ul>`
          : nothing
      }
      ${
        input.timings.length
          ? html`<table>
              <caption>
                Wall time per analysis
              </caption>
              <tr>
                <th>analysis</th>
                <th>pairs</th>
                <th>seconds</th>
              </tr>
              ${input.timings.map(
                (t) =>
                  html`<tr>
                    <td>${t.analysis}</td>
                    <td>${t.pairs}</td>
                    <td>${t.seconds.toFixed(1)}</td>
                  </tr>`,
              )}
            </table>`
          : nothing
      }
      ${this.sections.map((s) => this.renderSection(s))}
    `;
  }

  private renderSection(section: ReportSection) {
    return html`
      <section id=${section.id}>
        <h2>${section.title}</h2>
        <p>${section.description}</p>
        ${section.notes.map((n) => html`<p class="note">${n}</p>`)}
        <div class="charts">
          ${section.charts.map(
            (c) =>
              html`<div>
                <h3>${c.title}</h3>
                <div class="chart" data-chart=${c.id}></div>
                <div class="actions">
                  <button @click=${() => void this.saveChart(c.id, 'png')}>Save PNG</button>
                  <button @click=${() => void this.saveChart(c.id, 'svg')}>Save SVG</button>
                </div>
              </div>`,
          )}
        </div>
        ${section.tables.map(
          (t) =>
            html`<table>
              <caption>
                ${t.caption}
              </caption>
              <tr>
                ${t.columns.map((c) => html`<th>${c}</th>`)}
              </tr>
              ${t.rows.map(
                (r) =>
                  html`<tr>
                    ${r.map((v) => html`<td>${v}</td>`)}
                  </tr>`,
              )}
            </table>`,
        )}
        <div class="actions">
          <button @click=${() => void this.host?.save(`${section.id}.csv`, 'csv', section.csv)}>
            Save CSV
          </button>
        </div>
      </section>
    `;
  }

  protected override updated(_changed: PropertyValues): void {
    const specs = new Map(this.sections.flatMap((s) => s.charts.map((c) => [c.id, c] as const)));
    for (const element of this.renderRoot.querySelectorAll<HTMLElement>('[data-chart]')) {
      const spec = specs.get(element.dataset.chart ?? '');
      if (!spec) continue;
      // Height through the CSSOM (the webview CSP refuses style attributes).
      element.style.height = `${spec.height}px`;
      let entry = this.charts.get(spec.id);
      if (!entry || entry.chart.getDom() !== element) {
        entry?.chart.dispose();
        entry = { chart: echarts.init(element, undefined, { renderer: 'canvas' }), spec };
        this.charts.set(spec.id, entry);
      }
      entry.spec = spec;
      entry.chart.setOption(spec.option as echarts.EChartsCoreOption, true);
    }
    if (this.input && this.host)
      this.host.rendered?.({ sections: this.sections.length, charts: this.charts.size });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.disposeCharts();
  }

  private disposeCharts(): void {
    for (const { chart } of this.charts.values()) chart.dispose();
    this.charts.clear();
  }

  /** PNG from the drawn canvas; SVG from a server-side-rendered SVG twin of the chart. */
  async saveChart(id: string, format: 'png' | 'svg'): Promise<void> {
    const entry = this.charts.get(id);
    if (!entry || !this.host) return;
    const background = this.host.background();
    if (format === 'png') {
      const dataUrl = entry.chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: background });
      await this.host.save(`${id}.png`, 'png', dataUrl);
      return;
    }
    const twin = echarts.init(null, undefined, {
      renderer: 'svg',
      ssr: true,
      width: entry.chart.getWidth(),
      height: entry.chart.getHeight(),
    });
    twin.setOption({ ...(entry.spec.option as echarts.EChartsCoreOption), backgroundColor: background });
    const svg = twin.renderToSVGString();
    twin.dispose();
    await this.host.save(`${id}.svg`, 'svg', svg);
  }
}

customElements.define('rl-report', ReportView);
