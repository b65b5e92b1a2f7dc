import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import {
  drillChartId,
  rankText,
  type ChartDrill,
  type DrillLink,
  type DrillTarget,
} from '../../src/core/report/drillDown';
import type { DrillSnapshot, QueryRanking } from '../../src/protocol/report';
import {
  reportSections,
  type ChartSpec,
  type ReportInput,
  type ReportPalette,
  type ReportSection,
} from '../../src/core/report/sections';

echarts.use([
  BarChart,
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
  /** Where a model is at hand (the extension): a query re-ranked before/after, a pair opened in the inspector. */
  drill?: {
    queryRanking(target: DrillTarget, qid: string): Promise<QueryRanking>;
    inspectPair(target: DrillTarget, qid: string, pid: string): Promise<void>;
  };
  /** Keeps the open drill-down where the page keeps its state (a hidden panel is rebuilt when shown again). */
  remember?(drill: SavedDrill | undefined): void;
}

/** The drill-down as kept across a panel's reload. */
export interface SavedDrill {
  readonly comparison: string;
  readonly qid?: string;
  readonly ranking?: QueryRanking;
}

/** The open drill-down: a comparison's per-query breakdown, and maybe one of its queries ranked before/after. */
interface OpenDrill {
  readonly drill: ChartDrill;
  qid?: string;
  ranking?: QueryRanking;
  busy?: string;
  error?: string;
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
    tr.link {
      cursor: pointer;
    }
    tr.link:hover td,
    tr.link:focus-visible td {
      background: var(--vscode-list-hoverBackground, #8882);
    }
    tr.link:focus-visible {
      outline: 1px solid var(--vscode-focusBorder, #3794ff);
    }
    tr.link td:first-child::before {
      content: '▸ ';
      opacity: 0.7;
    }
    .chart.focused {
      outline: 2px solid var(--vscode-focusBorder, #3794ff);
    }
    .drill {
      border: 1px solid var(--vscode-focusBorder, #3794ff);
      border-radius: 4px;
      padding: 6px 12px 10px;
      margin: 10px 0;
    }
    .queries {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      margin: 6px 0;
    }
    button.query.chosen {
      outline: 2px solid var(--vscode-focusBorder, #3794ff);
    }
    .up {
      color: var(--vscode-charts-blue, #1f77b4);
    }
    .down {
      color: var(--vscode-charts-red, #d62728);
    }
    td.relevant {
      font-weight: bold;
    }
    table.ranking td:nth-child(2n),
    table.ranking th:nth-child(2n) {
      text-align: left;
    }
    .error {
      color: var(--vscode-errorForeground, #d62728);
    }
  `;

  input: ReportInput | undefined;
  host: ReportHost | undefined;
  private readonly charts = new Map<string, { chart: echarts.ECharts; spec: ChartSpec }>();
  /** Charts follow their element's width (a panel split beside the inspector, a window resized). */
  private readonly resizes = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const entry = this.charts.get((target as HTMLElement).dataset.chart ?? '');
      if (entry?.chart.getDom() === target) entry.chart.resize();
    }
  });
  private sections: ReportSection[] = [];
  private open: OpenDrill | undefined;
  /** A drill-down to reopen once the sections are built again. */
  restore: SavedDrill | undefined;

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
    if (this.restore) {
      const drill = this.drills().get(this.restore.comparison);
      if (drill) this.open = { drill, qid: this.restore.qid, ranking: this.restore.ranking };
      this.restore = undefined;
    }
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
          ${section.charts.filter((c) => !c.onlyWhenOpen).map((c) => this.renderChart(c))}
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
              ${t.rows.map((r, i) => this.renderRow(r, t.rowLinks?.[i]))}
            </table>`,
        )}
        ${this.open && section.charts.some((c) => c.drill?.comparison === this.open?.drill.comparison) ? this.renderDrill(this.open) : nothing}
        <div class="actions">
          <button @click=${() => void this.host?.save(`${section.id}.csv`, 'csv', section.csv)}>
            Save CSV
          </button>
        </div>
      </section>
    `;
  }

  private renderChart(c: ChartSpec) {
    return html`<div>
      <h3>${c.title}</h3>
      <div class="chart" data-chart=${c.id}></div>
      <div class="actions">
        <button @click=${() => void this.saveChart(c.id, 'png')}>Save PNG</button>
        <button @click=${() => void this.saveChart(c.id, 'svg')}>Save SVG</button>
      </div>
    </div>`;
  }

  private renderRow(cells: readonly (string | number)[], link: DrillLink | undefined) {
    if (!link)
      return html`<tr>
        ${cells.map((v) => html`<td>${v}</td>`)}
      </tr>`;
    const go = () => void this.follow(link);
    return html`<tr
      class="link"
      tabindex="0"
      title=${link.qid ? `Query ${link.qid} before and after` : 'Open the per-query breakdown'}
      @click=${go}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          go();
        }
      }}
    >
      ${cells.map((v) => html`<td>${v}</td>`)}
    </tr>`;
  }

  private drills(): Map<string, ChartDrill> {
    return new Map(
      this.sections.flatMap((s) =>
        s.charts.flatMap((c) => (c.drill ? [[c.drill.comparison, c.drill] as const] : [])),
      ),
    );
  }

  /** A row's link: its comparison's breakdown, then its query if it names one. */
  private async follow(link: DrillLink): Promise<void> {
    this.openComparison(link.comparison);
    if (link.qid) await this.openQuery(link.qid);
  }

  /** Redraws and says the drill-down to the page, which keeps it. */
  private drillChanged(): void {
    this.requestUpdate();
    const o = this.open;
    this.host?.remember?.(o ? { comparison: o.drill.comparison, qid: o.qid, ranking: o.ranking } : undefined);
  }

  private openComparison(comparison: string): void {
    const drill = this.drills().get(comparison);
    if (!drill) return;
    if (this.open?.drill.comparison !== comparison) this.open = { drill };
    this.drillChanged();
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector('.drill')?.scrollIntoView({ block: 'start' }),
    );
  }

  private async openQuery(qid: string): Promise<void> {
    const open = this.open;
    if (!open) return;
    open.qid = qid;
    open.ranking = undefined;
    open.error = undefined;
    const target = open.drill.target;
    if (!target || !this.host?.drill) {
      open.error = !target
        ? `${open.drill.label}: the ranking before/after is available for period masking's settings and interaction masking's depths only.`
        : 'Re-ranking a query needs the model: open this report from RankLens in VS Code.';
      this.requestUpdate();
      return;
    }
    open.busy = `Re-ranking query ${qid} before and after…`;
    this.requestUpdate();
    try {
      const ranking = await this.host.drill.queryRanking(target, qid);
      if (this.open === open && open.qid === qid) open.ranking = ranking;
    } catch (error) {
      open.error = error instanceof Error ? error.message : String(error);
    } finally {
      open.busy = undefined;
      this.drillChanged();
      await this.updateComplete;
    }
  }

  private async inspect(pid: string): Promise<void> {
    const open = this.open;
    const target = open?.drill.target;
    if (!open?.qid || !target || !this.host?.drill) return;
    open.busy = `Opening query ${open.qid}, passage ${pid} in the pair inspector…`;
    open.error = undefined;
    this.requestUpdate();
    try {
      await this.host.drill.inspectPair(target, open.qid, pid);
    } catch (error) {
      open.error = error instanceof Error ? error.message : String(error);
    } finally {
      open.busy = undefined;
      this.requestUpdate();
    }
  }

  /** Does what the clicks do (tests): a comparison, then a query of it, then a pair. */
  async drillTo(params: { comparison: string; qid?: string; pid?: string }): Promise<DrillSnapshot> {
    await this.updateComplete;
    this.openComparison(params.comparison);
    if (params.qid) await this.openQuery(params.qid);
    if (params.pid) await this.inspect(params.pid);
    await this.updateComplete;
    return this.drillSnapshot();
  }

  drillSnapshot(): DrillSnapshot {
    const o = this.open;
    return {
      comparison: o?.drill.comparison,
      summary: o?.drill.summary ?? '',
      queries: o?.drill.moved.map((m) => m.qid) ?? [],
      chartShown: o !== undefined && this.chartDrawn(drillChartId(o.drill.comparison)),
      qid: o?.qid,
      ranking: o?.ranking,
      error: o?.error ?? '',
    };
  }

  /** Whether chart `id` has its element on the page and is drawn into it. */
  private chartDrawn(id: string): boolean {
    const element = this.renderRoot.querySelector(`[data-chart="${id}"]`);
    return element !== null && this.charts.get(id)?.chart.getDom() === element;
  }

  private renderDrill(open: OpenDrill) {
    const d = open.drill;
    const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
    const chart = this.sections
      .flatMap((s) => s.charts)
      .find((c) => c.onlyWhenOpen && c.drill?.comparison === d.comparison);
    return html`<div class="drill" role="region" aria-label="Drill-down: ${d.label}">
      <h3>${d.label}: per query</h3>
      ${d.summary ? html`<p>${d.summary}.</p>` : nothing}
      ${chart ? html`<div class="charts">${this.renderChart(chart)}</div>` : nothing}
      <div class="note">
        The ${d.moved.length} queries that moved, sorted by effect, largest gain first (rank of the first
        relevant passage before → after, Δ reciprocal
        rank)${d.target ? '; pick one to see its ranking before and after' : ''}:
      </div>
      <div class="queries">
        ${d.moved.map(
          (m) =>
            html`<button
              class="query${open.qid === m.qid ? ' chosen' : ''}"
              data-qid=${m.qid}
              @click=${() => void this.openQuery(m.qid)}
            >
              ${m.qid}: ${rankText(m.before)} → ${rankText(m.after)}
              <span class=${m.delta > 0 ? 'up' : 'down'}>(${sign(m.delta)})</span>
            </button>`,
        )}
      </div>
      ${open.busy ? html`<p class="note" role="status">${open.busy}</p>` : nothing}
      ${open.error ? html`<p class="error" role="alert">${open.error}</p>` : nothing}
      ${open.ranking ? this.renderRanking(open.ranking) : nothing}
      <div class="actions">
        <button @click=${() => ((this.open = undefined), this.drillChanged())}>Close</button>
      </div>
    </div>`;
  }

  private renderRanking(r: QueryRanking) {
    const rows = Math.min(10, r.before.length);
    // "changed" marks the passages a comparison changed where it changed only some (period masking).
    const someUnchanged = r.after.some((c) => !c.changed);
    const cell = (c: QueryRanking['before'][number] | undefined, moved?: number) =>
      c
        ? html`<td class=${c.grade >= r.minRelevance ? 'relevant' : ''}>
              <button
                class="pair"
                data-pid=${c.pid}
                title="Open query ${r.qid}, passage ${c.pid} in the pair inspector with ${r.change}"
                @click=${() => void this.inspect(c.pid)}
              >
                ${c.pid}
              </button>
              ${c.grade >= r.minRelevance ? ` relevant (${c.grade})` : c.grade > 0 ? ` grade ${c.grade}` : ''}
              ${moved !== undefined && c.changed && someUnchanged ? ' · changed' : ''}${moved !== undefined && moved !== c.rank ? ` · was ${moved}` : ''}
            </td>
            <td>${c.score.toFixed(4)}</td>`
        : html`<td></td>
            <td></td>`;
    const beforeRank = new Map(r.before.map((c) => [c.pid, c.rank]));
    return html`<table class="ranking">
      <caption>
        Query ${r.qid} “${r.query}”: the model's top ${rows} of ${r.before.length} candidates, before and with
        ${r.change}${
          someUnchanged
            ? r.after.some((c) => c.changed)
              ? ' (on the relevant passages only, as the analysis did)'
              : ''
            : ' (on every candidate, as the analysis did)'
        }.
        Pick a passage to open the pair in the inspector with the same change.
      </caption>
      <tr>
        <th>rank</th>
        <th>before</th>
        <th>score</th>
        <th>after</th>
        <th>score</th>
      </tr>
      ${Array.from(
        { length: rows },
        (_, i) =>
          html`<tr>
            <td>${i + 1}</td>
            ${cell(r.before[i])} ${cell(r.after[i], beforeRank.get(r.after[i]?.pid ?? ''))}
          </tr>`,
      )}
    </table>`;
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
        if (entry) this.resizes.unobserve(entry.chart.getDom());
        entry?.chart.dispose();
        entry = { chart: echarts.init(element, undefined, { renderer: 'canvas' }), spec };
        this.charts.set(spec.id, entry);
        this.resizes.observe(element);
      }
      entry.spec = spec;
      entry.chart.setOption(spec.option as echarts.EChartsCoreOption, true);
      const drill = spec.drill;
      element.classList.toggle(
        'focused',
        drill !== undefined && drill.comparison === this.open?.drill.comparison,
      );
      if (drill) {
        // A bar opens its query (and its comparison's breakdown first).
        entry.chart.off('click');
        entry.chart.on('click', (p: { dataIndex?: number }) => {
          const m = drill.moved[p.dataIndex ?? -1];
          if (m) void this.follow({ comparison: drill.comparison, qid: m.qid });
        });
      }
      const points = spec.pointLinks;
      if (points) {
        // A point opens its comparison's breakdown.
        entry.chart.off('click');
        entry.chart.on('click', (p: { seriesName?: string; dataIndex?: number }) => {
          const link = points[p.seriesName ?? '']?.[p.dataIndex ?? -1];
          if (link) void this.follow(link);
        });
      }
    }
    // Charts whose element is gone (a closed drill-down's) are let go.
    for (const [id, { chart }] of this.charts)
      if (!chart.getDom().isConnected) {
        this.resizes.unobserve(chart.getDom());
        chart.dispose();
        this.charts.delete(id);
      }
    if (this.input && this.host)
      this.host.rendered?.({ sections: this.sections.length, charts: this.charts.size });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.disposeCharts();
  }

  private disposeCharts(): void {
    this.resizes.disconnect();
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
