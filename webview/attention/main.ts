import { css, html, nothing, type TemplateResult } from 'lit';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { attentionProtocol, type AttentionPair, type ViewToken } from '../../src/protocol/attention';
import {
  SHARE_KINDS,
  attentionShares,
  directionPositions,
  drawHeatmap,
  drawThumbnails,
  headOffset,
  layerMean,
  toRgb,
  type Direction,
  type Rgb,
  type ShareKind,
} from '../shared/attentionCanvas';
import { RankLensApp, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { textTooltip } from '../shared/charts';
import { cssom } from '../shared/cssom';
import { moveFocusInGroup } from '../shared/roving';
import { chartColors, themeClass, themeColor } from '../shared/theme';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Mode = 'model' | 'head' | 'summary';
/** Lines drawn per attending token when none is hovered. */
const TOP_LINKS = 6;
/** Head -1: the mean over the layer's heads. */
const MEAN_HEAD = -1;

const KIND_LABELS: Record<ShareKind, string> = {
  cls: '[CLS]',
  sep: '[SEP]',
  period: 'periods',
  query: 'query',
  doc: 'document',
};

function tokenClass(t: ViewToken): string {
  if (t.kind === 'cls' || t.kind === 'sep') return 'tok special';
  if (t.kind === 'period') return 'tok period';
  return `tok ${t.segment === 0 ? 'q' : 'd'}`;
}

const DEFAULT_STATE = {
  mode: 'model' as Mode,
  layer: 0,
  head: 0,
  lineMode: 'lines',
  direction: 'all' as Direction,
};

class AttentionApp extends RankLensApp<typeof DEFAULT_STATE> {
  static override styles = [
    panelStyles,
    css`
      :host {
        padding: 6px 10px 16px;
      }
      .label {
        font-weight: 600;
        margin-bottom: 2px;
        word-break: break-word;
      }
      .sub {
        font-size: 0.92em;
      }
      .modes {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        margin: 8px 0;
      }
      .modes button,
      .chip {
        font: inherit;
        color: var(--vscode-foreground);
        background: var(--vscode-button-secondaryBackground, transparent);
        border: 1px solid var(--vscode-button-border, var(--vscode-contrastBorder, transparent));
        border-radius: 3px;
        padding: 2px 10px;
        cursor: pointer;
      }
      .modes button[aria-pressed='true'] {
        color: var(--vscode-button-foreground);
        background: var(--vscode-button-background);
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 10px;
        align-items: end;
        margin-bottom: 6px;
      }
      .controls label {
        display: flex;
        flex-direction: column;
        gap: 2px;
        font-size: 0.92em;
      }
      .controls vscode-single-select {
        width: 7.5em;
      }
      .controls #direction {
        width: 13em;
      }
      #thumbs {
        width: 100%;
        image-rendering: pixelated;
        cursor: pointer;
      }
      .axis {
        display: flex;
        justify-content: space-between;
        font-size: 0.85em;
        opacity: 0.8;
      }
      .lines {
        display: grid;
        /* Tokens keep their full width (readable at the editor font size); the lines take what is left. */
        grid-template-columns: max-content minmax(36px, 1fr) max-content;
        font-family: var(--vscode-editor-font-family);
        font-size: var(--vscode-editor-font-size);
      }
      .col {
        display: flex;
        flex-direction: column;
      }
      .col.right {
        align-items: flex-start;
      }
      .col.left {
        align-items: flex-end;
      }
      .tok {
        height: 1.5em;
        line-height: 1.5em;
        padding: 0 4px;
        white-space: nowrap;
        border-radius: 2px;
        cursor: default;
      }
      .tok.special {
        font-weight: 700;
        color: var(--vscode-charts-orange, var(--vscode-foreground));
      }
      .tok.period {
        font-weight: 700;
        color: var(--vscode-charts-purple, var(--vscode-foreground));
        text-decoration: underline;
      }
      #lines {
        width: 100%;
      }
      .heat {
        display: grid;
        grid-template-columns: 8px 1fr;
        grid-template-rows: 8px auto;
        gap: 2px;
      }
      .heat canvas {
        width: 100%;
        height: 100%;
        image-rendering: pixelated;
      }
      #heat {
        aspect-ratio: var(--aspect, 1);
      }
      .readout {
        min-height: 2.6em;
        font-size: 0.92em;
        margin: 4px 0;
      }
      .legend-marks {
        display: flex;
        gap: 10px;
        flex-wrap: wrap;
        font-size: 0.85em;
        margin: 4px 0;
      }
      .mark {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
        vertical-align: -1px;
      }
      #summary {
        width: 100%;
        height: 300px;
      }
      table {
        font-size: 0.9em;
      }
      th,
      td {
        padding: 1px 8px 1px 0;
        text-align: right;
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
    `,
  ];

  private pair: AttentionPair | undefined;
  /** Per-layer shares of the current pair, computed once per pair (a pass over the whole tensor). */
  private shares: Record<ShareKind, number[]> | undefined;
  private status = { message: '', busy: false };
  private hovered: { side: 'left' | 'right'; position: number } | undefined;
  /** Whether token rows carry a hover highlight to clear. */
  private highlighted = false;
  private summaryChart: echarts.ECharts | undefined;
  private drawStarted = 0;
  private readonly waiting: ((r: ReturnType<AttentionApp['report']>) => void)[] = [];
  private lastMs = 0;

  protected readonly channel = connect(attentionProtocol, {
    notifications: {
      pair: (pair) => {
        this.drawStarted = performance.now();
        this.pair = pair;
        this.shares = undefined;
        this.state.layer = Math.min(this.state.layer, pair.attention.numLayers - 1);
        this.state.head = Math.min(this.state.head, pair.attention.numHeads - 1);
        this.hovered = undefined;
        this.requestUpdate();
      },
      status: (status) => {
        this.status = status;
        this.requestUpdate();
      },
    },
    requests: {
      showMode: ({ mode, layer, head, lineMode, direction }) =>
        new Promise((resolve, reject) => {
          if (!this.pair) {
            reject(new Error('no pair in the attention explorer yet'));
            return;
          }
          this.waiting.push(resolve);
          this.select({ mode, layer, head, lineMode, direction });
        }),
    },
  });

  constructor() {
    super(DEFAULT_STATE);
  }

  protected override themeChanged(): void {
    this.drawStarted = performance.now();
    super.themeChanged();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Canvases are sized to the view when drawn: redraw when the side bar is resized.
    let width = 0;
    new ResizeObserver(() => {
      if (this.clientWidth === width) return;
      width = this.clientWidth;
      this.requestUpdate();
    }).observe(this);
  }

  private select(change: {
    mode?: Mode;
    layer?: number;
    head?: number;
    lineMode?: string;
    direction?: Direction;
  }) {
    this.drawStarted = performance.now();
    if (change.mode) this.state.mode = change.mode;
    if (change.layer !== undefined) this.state.layer = change.layer;
    if (change.head !== undefined) this.state.head = change.head;
    if (change.lineMode) this.state.lineMode = change.lineMode;
    if (change.direction) this.state.direction = change.direction;
    this.hovered = undefined;
    this.setState({});
  }

  override render() {
    const p = this.pair;
    if (!p)
      return html`<p class=${this.status.busy ? 'busy' : 'hint'}>
        ${this.status.message || 'No pair yet: inspect one (right-click a passage in the Dataset view → Inspect Pair).'}
      </p>`;
    const t = p.attention;
    const mode = this.state.mode;
    return html`
      <div class="label">${p.label}</div>
      <div class="sub">
        score ${p.score.toFixed(4)} · ${t.seqLength} tokens · ${t.numLayers} layers × ${t.numHeads} heads
      </div>
      ${this.status.busy ? html`<div class="busy">${this.status.message}</div>` : nothing}
      <div class="modes" role="toolbar" aria-label="Attention view">
        ${(['model', 'head', 'summary'] as const).map(
          (m) =>
            html`<button aria-pressed=${String(mode === m)} @click=${() => this.select({ mode: m })}>
              ${m === 'model' ? 'Model' : m === 'head' ? 'Head' : 'Summary'}
            </button>`,
        )}
      </div>
      ${mode === 'model' ? this.modelView(p) : mode === 'head' ? this.headView(p) : this.summaryView(p)}
    `;
  }

  private modelView(p: AttentionPair): TemplateResult {
    const t = p.attention;
    return html`
      <div class="hint">
        Each square: one head's attention (rows attend to columns, [CLS] top-left). Click or press Enter to
        open it; arrow keys move.
      </div>
      <div class="axis"><span>head 1</span><span>head ${t.numHeads} →</span></div>
      <canvas
        id="thumbs"
        tabindex="0"
        role="img"
        aria-label="Attention of ${t.numLayers} layers by ${t.numHeads} heads; layer ${this.state.layer + 1}, head ${this.state.head + 1} focused"
        @click=${(e: MouseEvent) => this.thumbClick(e)}
        @mousemove=${(e: MouseEvent) => this.thumbHover(e)}
        @keydown=${(e: KeyboardEvent) => this.thumbKey(e)}
      ></canvas>
      <div class="axis"><span>↑ layer 1</span><span>layer ${t.numLayers} ↓</span></div>
      <div class="readout" id="thumb-readout">Layer ${this.state.layer + 1}, head ${this.state.head + 1}</div>
    `;
  }

  private thumbCell(e: MouseEvent): { layer: number; head: number } | undefined {
    const t = this.pair?.attention;
    const canvas = e.currentTarget as HTMLCanvasElement;
    if (!t) return undefined;
    const rect = canvas.getBoundingClientRect();
    const head = Math.floor(((e.clientX - rect.left) / rect.width) * t.numHeads);
    const layer = Math.floor(((e.clientY - rect.top) / rect.height) * t.numLayers);
    return head >= 0 && head < t.numHeads && layer >= 0 && layer < t.numLayers ? { layer, head } : undefined;
  }

  private thumbClick(e: MouseEvent): void {
    const cell = this.thumbCell(e);
    if (cell) this.select({ mode: 'head', ...cell });
  }

  private thumbHover(e: MouseEvent): void {
    const cell = this.thumbCell(e);
    const readout = this.renderRoot.querySelector('#thumb-readout');
    if (cell && readout)
      readout.textContent = `Layer ${cell.layer + 1}, head ${cell.head + 1} — click to open`;
  }

  private thumbKey(e: KeyboardEvent): void {
    const t = this.pair?.attention;
    if (!t) return;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.select({ mode: 'head' });
    } else if (moves[e.key]) {
      e.preventDefault();
      const [dl, dh] = moves[e.key];
      this.select({
        layer: Math.max(0, Math.min(t.numLayers - 1, this.state.layer + dl)),
        head: Math.max(0, Math.min(t.numHeads - 1, this.state.head + dh)),
      });
    }
  }

  private headView(p: AttentionPair): TemplateResult {
    const t = p.attention;
    const { rows, cols } = directionPositions(p.tokens, this.state.direction);
    // Each column is one Tab stop; the arrow keys move through its tokens (focus shows a token's links).
    const side = (positions: number[], where: 'left' | 'right') =>
      positions.map((i, k) => {
        const tok = p.tokens[i];
        return html`<div
          class=${tokenClass(tok)}
          data-position=${i}
          tabindex=${k === 0 ? '0' : '-1'}
          @keydown=${(e: KeyboardEvent) => moveFocusInGroup(e, '.tok')}
          title="${tok.text} (position ${i}, ${tok.kind})"
          @mouseenter=${() => this.hover(where, i)}
          @focus=${() => this.hover(where, i)}
          @mouseleave=${() => this.hover(undefined, i)}
          @blur=${() => this.hover(undefined, i)}
        >
          ${tok.text}
        </div>`;
      });
    return html`
      <div class="controls">
        <label
          >Layer
          <vscode-single-select
            id="layer"
            .value=${String(this.state.layer)}
            @change=${(e: Event) => this.select({ layer: Number((e.target as HTMLSelectElement).value) })}
          >
            ${Array.from({ length: t.numLayers }, (_, l) => html`<vscode-option value=${String(l)} ?selected=${l === this.state.layer}>${l + 1}</vscode-option>`)}
          </vscode-single-select></label
        >
        <label
          >Head
          <vscode-single-select
            id="head"
            .value=${String(this.state.head)}
            @change=${(e: Event) => this.select({ head: Number((e.target as HTMLSelectElement).value) })}
          >
            <vscode-option value=${String(MEAN_HEAD)} ?selected=${this.state.head === MEAN_HEAD}
              >mean</vscode-option
            >
            ${Array.from({ length: t.numHeads }, (_, h) => html`<vscode-option value=${String(h)} ?selected=${h === this.state.head}>${h + 1}</vscode-option>`)}
          </vscode-single-select></label
        >
        <label
          >Direction
          <vscode-single-select
            id="direction"
            .value=${this.state.direction}
            @change=${(e: Event) => this.select({ direction: (e.target as HTMLSelectElement).value as Direction })}
          >
            <vscode-option value="all" ?selected=${this.state.direction === 'all'}>all</vscode-option>
            <vscode-option value="query-to-doc" ?selected=${this.state.direction === 'query-to-doc'}
              >query attends to passage</vscode-option
            >
            <vscode-option value="doc-to-query" ?selected=${this.state.direction === 'doc-to-query'}
              >passage attends to query</vscode-option
            >
          </vscode-single-select></label
        >
        <label
          >Show
          <vscode-single-select
            id="line-mode"
            .value=${this.state.lineMode}
            @change=${(e: Event) => this.select({ lineMode: (e.target as HTMLSelectElement).value })}
          >
            <vscode-option value="lines" ?selected=${this.state.lineMode === 'lines'}>lines</vscode-option>
            <vscode-option value="heatmap" ?selected=${this.state.lineMode === 'heatmap'}
              >heatmap</vscode-option
            >
          </vscode-single-select></label
        >
      </div>
      <div class="legend-marks">
        <span
          ><span class="mark" ${cssom({ background: themeColor('charts-orange', '#d18616') })}></span>[CLS] /
          [SEP]</span
        >
        <span
          ><span class="mark" ${cssom({ background: themeColor('charts-purple', '#b180d7') })}></span
          >periods</span
        >
      </div>
      <div class="readout" id="readout" aria-live="polite">${this.readout(p)}</div>
      ${
        this.state.lineMode === 'lines'
          ? html`<div class="lines">
              <div class="col left">${side(rows, 'left')}</div>
              <canvas id="lines" aria-hidden="true"></canvas>
              <div class="col right">${side(cols, 'right')}</div>
            </div>`
          : html`<div class="heat">
              <span></span><canvas id="heat-cols" aria-hidden="true"></canvas>
              <canvas id="heat-rows" aria-hidden="true"></canvas>
              <canvas
                id="heat"
                role="img"
                aria-label="Heatmap: ${rows.length} attending tokens by ${cols.length} attended tokens"
                ${cssom({ '--aspect': `${cols.length} / ${rows.length}` })}
                @mousemove=${(e: MouseEvent) => this.heatHover(e, rows, cols)}
              ></canvas>
            </div>`
      }
    `;
  }

  private readout(p: AttentionPair): TemplateResult | string {
    const h = this.hovered;
    if (!h)
      return `Lines: each token’s ${TOP_LINKS} strongest links, darker = stronger relative to its strongest. Hover a token, or Tab into a column and move with ↑/↓: left shows where all its attention goes, right where a token’s attention comes from.`;
    const block = this.block(p);
    const n = p.attention.seqLength;
    const { rows, cols } = directionPositions(p.tokens, this.state.direction);
    const others = h.side === 'left' ? cols : rows;
    const weights = others.map((o) => ({
      o,
      w:
        h.side === 'left'
          ? block.data[block.offset + h.position * n + o]
          : block.data[block.offset + o * n + h.position],
    }));
    const top = weights.sort((a, b) => b.w - a.w).slice(0, 3);
    const name = p.tokens[h.position].text;
    const list = top.map(({ o, w }) => `${p.tokens[o].text} ${(100 * w).toFixed(1)}%`).join(', ');
    return h.side === 'left'
      ? `“${name}” attends most to ${list}`
      : `“${name}” gets most attention from ${list}`;
  }

  private hover(side: 'left' | 'right' | undefined, position: number): void {
    this.hovered = side ? { side, position } : undefined;
    this.requestUpdate();
  }

  private heatHover(e: MouseEvent, rows: number[], cols: number[]): void {
    const p = this.pair;
    const readout = this.renderRoot.querySelector('#readout');
    if (!p || !readout) return;
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const c = cols[Math.floor(((e.clientX - rect.left) / rect.width) * cols.length)];
    const r = rows[Math.floor(((e.clientY - rect.top) / rect.height) * rows.length)];
    if (c === undefined || r === undefined) return;
    const block = this.block(p);
    const v = block.data[block.offset + r * p.attention.seqLength + c];
    readout.textContent = `“${p.tokens[r].text}” (${r}) → “${p.tokens[c].text}” (${c}): ${(100 * v).toFixed(2)}%`;
  }

  /** The n x n block of the selected head (or the layer's mean over heads). */
  private block(p: AttentionPair): { data: Float32Array; offset: number } {
    if (this.state.head === MEAN_HEAD) return { data: layerMean(p.attention, this.state.layer), offset: 0 };
    return { data: p.attention.data, offset: headOffset(p.attention, this.state.layer, this.state.head) };
  }

  private sharesOf(p: AttentionPair): Record<ShareKind, number[]> {
    this.shares ??= attentionShares(p.attention, p.tokens);
    return this.shares;
  }

  private summaryView(p: AttentionPair): TemplateResult {
    const shares = this.sharesOf(p);
    const mean = p.datasetMean?.shares;
    return html`
      <div class="hint">
        Per layer: of the attention every token gives out, the share that goes to each kind of token (mean
        over heads and tokens; Zhan et al., Figure
        1)${mean ? html`, dashed: the dataset mean from <code>${p.datasetMean?.source}</code>` : '; run the attention analysis to compare with the dataset mean'}.
      </div>
      <div id="summary"></div>
      <table id="summary-table">
        <thead>
          <tr>
            <th>layer</th>
            ${SHARE_KINDS.map((k) => html`<th>${KIND_LABELS[k]}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${shares.cls.map(
            (_, l) =>
              html`<tr>
                <td>${l + 1}</td>
                ${SHARE_KINDS.map((k) => html`<td>${(100 * shares[k][l]).toFixed(1)}%${mean?.[k]?.[l] !== undefined ? html` <span class="hint">(${(100 * mean[k][l]).toFixed(1)})</span>` : nothing}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  override updated(): void {
    const p = this.pair;
    if (!p) return;
    const accent = toRgb(chartColors().accent);
    const started = this.drawStarted || performance.now();
    const mode = this.state.mode;
    if (mode === 'model') this.drawModel(p, accent);
    else if (mode === 'head') this.drawHead(p, accent);
    else this.drawSummary(p);
    const ms = performance.now() - started;
    this.drawStarted = 0;
    this.lastMs = ms;
    this.channel.timing(`attention ${mode}`, ms);
    const report = this.report();
    this.channel.endpoint.notify('rendered', report);
    for (const resolve of this.waiting.splice(0)) resolve(report);
  }

  private drawModel(p: AttentionPair, accent: Rgb): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('#thumbs');
    if (!canvas) return;
    const t = p.attention;
    const width = canvas.clientWidth || 300;
    const gap = 2;
    const thumb = Math.max(8, Math.min(64, Math.floor((width - gap * (t.numHeads + 1)) / t.numHeads)));
    drawThumbnails(
      canvas,
      t,
      thumb,
      gap,
      accent,
      { layer: this.state.layer, head: Math.max(0, this.state.head) },
      toRgb(themeColor('focusBorder', '#007fd4')),
    );
  }

  private drawHead(p: AttentionPair, accent: Rgb): void {
    const { rows, cols } = directionPositions(p.tokens, this.state.direction);
    const block = this.block(p);
    const n = p.attention.seqLength;
    if (this.state.lineMode === 'heatmap') {
      const heat = this.renderRoot.querySelector<HTMLCanvasElement>('#heat');
      if (heat) drawHeatmap(heat, block.data, block.offset, n, rows, cols, accent);
      const special = toRgb(themeColor('charts-orange', '#d18616'));
      const period = toRgb(themeColor('charts-purple', '#b180d7'));
      const strip = (canvas: HTMLCanvasElement | null, positions: number[], vertical: boolean) => {
        if (!canvas) return;
        canvas.width = vertical ? 1 : positions.length;
        canvas.height = vertical ? positions.length : 1;
        const ctx = canvas.getContext('2d');
        if (!ctx) return;
        positions.forEach((i, k) => {
          const kind = p.tokens[i].kind;
          const rgb = kind === 'cls' || kind === 'sep' ? special : kind === 'period' ? period : undefined;
          if (!rgb) return;
          ctx.fillStyle = `rgb(${rgb.join(',')})`;
          if (vertical) ctx.fillRect(0, k, 1, 1);
          else ctx.fillRect(k, 0, 1, 1);
        });
      };
      strip(this.renderRoot.querySelector<HTMLCanvasElement>('#heat-cols'), cols, false);
      strip(this.renderRoot.querySelector<HTMLCanvasElement>('#heat-rows'), rows, true);
      return;
    }
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('#lines');
    const first = this.renderRoot.querySelector<HTMLElement>('.col .tok');
    if (!canvas || !first) return;
    const rowHeight = first.offsetHeight || 18;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 60;
    const height = Math.max(rows.length, cols.length) * rowHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 1.5;
    const h = this.hovered;
    const rowIndex = new Map(rows.map((i, k) => [i, k]));
    const colIndex = new Map(cols.map((j, k) => [j, k]));
    const line = (i: number, j: number, alpha: number) => {
      const y0 = ((rowIndex.get(i) ?? 0) + 0.5) * rowHeight;
      const y1 = ((colIndex.get(j) ?? 0) + 0.5) * rowHeight;
      ctx.strokeStyle = `rgba(${accent.join(',')},${Math.min(1, alpha).toFixed(3)})`;
      ctx.beginPath();
      ctx.moveTo(0, y0);
      ctx.lineTo(width, y1);
      ctx.stroke();
    };
    const weight = (i: number, j: number) => block.data[block.offset + i * n + j];
    // Opacity relative to the strongest link of the token in focus, so long passages (where every weight
    // is small) still show their pattern.
    const strongest = (links: number[]) => Math.max(1e-12, ...links);
    if (h?.side === 'left') {
      const w = cols.map((j) => weight(h.position, j));
      const max = strongest(w);
      cols.forEach((j, k) => line(h.position, j, w[k] / max));
    } else if (h?.side === 'right') {
      const w = rows.map((i) => weight(i, h.position));
      const max = strongest(w);
      rows.forEach((i, k) => line(i, h.position, w[k] / max));
    } else {
      // Each attending token's TOP_LINKS strongest links: bounded work at 256 tokens, and the pattern
      // of every row visible whatever its spread.
      const topJ = new Int32Array(TOP_LINKS);
      const topW = new Float64Array(TOP_LINKS);
      for (const i of rows) {
        // Insertion into a TOP_LINKS-long list: no allocation per row, O(n * TOP_LINKS).
        topW.fill(-1);
        let max = 1e-12;
        for (const j of cols) {
          const v = weight(i, j);
          if (v > max) max = v;
          if (v <= topW[TOP_LINKS - 1]) continue;
          let k = TOP_LINKS - 1;
          while (k > 0 && topW[k - 1] < v) {
            topW[k] = topW[k - 1];
            topJ[k] = topJ[k - 1];
            k--;
          }
          topW[k] = v;
          topJ[k] = j;
        }
        for (let k = 0; k < TOP_LINKS; k++)
          if (topW[k] / max >= 0.05) line(i, topJ[k], (0.8 * topW[k]) / max);
      }
    }
    // The hovered token's partners light up by weight (CSSOM, allowed by the CSP).
    if (!h && !this.highlighted) return;
    this.highlighted = h !== undefined;
    for (const el of this.renderRoot.querySelectorAll<HTMLElement>('.col .tok')) {
      const position = Number(el.dataset.position);
      const isRight = el.parentElement?.classList.contains('right');
      let w = 0;
      if (h?.side === 'left' && isRight) w = block.data[block.offset + h.position * n + position];
      if (h?.side === 'right' && !isRight) w = block.data[block.offset + position * n + h.position];
      if (w > 0)
        el.style.setProperty(
          'background-color',
          `rgba(${accent.join(',')},${Math.min(0.85, Math.sqrt(w)).toFixed(3)})`,
        );
      else el.style.removeProperty('background-color');
    }
  }

  private drawSummary(p: AttentionPair): void {
    const el = this.renderRoot.querySelector<HTMLDivElement>('#summary');
    if (!el) return;
    if (!this.summaryChart || this.summaryChart.getDom() !== el) {
      this.summaryChart?.dispose();
      this.summaryChart = echarts.init(el, undefined, { renderer: 'canvas' });
      new ResizeObserver(() => this.summaryChart?.resize()).observe(el);
    }
    const colors = chartColors();
    const shares = this.sharesOf(p);
    const palette: Record<ShareKind, string> = {
      cls: themeColor('charts-orange', '#d18616'),
      sep: themeColor('charts-red', '#f14c4c'),
      period: themeColor('charts-purple', '#b180d7'),
      query: themeColor('charts-blue', '#3794ff'),
      doc: themeColor('charts-green', '#89d185'),
    };
    const layers = shares.cls.map((_, l) => String(l + 1));
    const mean = p.datasetMean?.shares;
    const series = SHARE_KINDS.flatMap((k) => [
      {
        type: 'line',
        name: KIND_LABELS[k],
        data: shares[k],
        itemStyle: { color: palette[k] },
        lineStyle: { width: 2 },
        symbolSize: 6,
      },
      ...(mean?.[k]
        ? [
            {
              type: 'line',
              name: `${KIND_LABELS[k]} (dataset)`,
              data: mean[k],
              itemStyle: { color: palette[k] },
              lineStyle: { type: 'dashed', width: 1 },
              symbol: 'none',
            },
          ]
        : []),
    ]);
    this.summaryChart.setOption(
      {
        backgroundColor: 'transparent',
        tooltip: textTooltip(colors, (q: { seriesName: string; name: string; value: number }) => [
          `${q.seriesName}, layer ${q.name}: ${(100 * q.value).toFixed(1)}%`,
        ]),
        // A plain legend wraps onto more lines in a narrow side bar instead of paging.
        legend: { textStyle: { color: colors.foreground }, top: 0, itemWidth: 14, itemGap: 8 },
        grid: { left: 44, right: 10, top: mean ? 96 : 64, bottom: 30 },
        xAxis: {
          type: 'category',
          data: layers,
          name: 'layer',
          nameLocation: 'middle',
          nameGap: 22,
          axisLabel: { color: colors.foreground },
          nameTextStyle: { color: colors.foreground },
          axisLine: { lineStyle: { color: colors.muted } },
        },
        yAxis: {
          type: 'value',
          min: 0,
          max: 1,
          axisLabel: { color: colors.foreground, formatter: (v: number) => `${Math.round(100 * v)}%` },
          splitLine: { lineStyle: { color: colors.border } },
        },
        series,
        animation: false,
      },
      true,
    );
  }

  private report() {
    const t = this.pair?.attention;
    return {
      mode: this.state.mode,
      layer: this.state.layer,
      head: this.state.head,
      tokens: this.renderRoot.querySelectorAll('.col .tok').length,
      thumbnails: this.state.mode === 'model' && t ? t.numLayers * t.numHeads : 0,
      direction: this.state.direction,
      focusedToken: this.hovered,
      readout: this.renderRoot.querySelector('#readout')?.textContent?.trim() ?? '',
      datasetMean: this.pair?.datasetMean?.source,
      label: this.pair?.label ?? '',
      theme: themeClass(),
      ms: this.lastMs,
    };
  }
}

customElements.define('rl-app', AttentionApp);
