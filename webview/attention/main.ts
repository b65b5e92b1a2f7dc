import { css, html, nothing, type TemplateResult } from 'lit';
import { attentionProtocol, type AttentionPair } from '../../src/protocol/attention';
import { attentionShares, type ShareKind } from '../shared/attentionCanvas';
import { RankLensApp, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { themeClass } from '../shared/theme';
import { headViewStyles } from './headView';
import { modelViewStyles } from './modelView';
import { summaryViewStyles } from './summaryView';
import type { AttentionSelection, Hovered, Mode } from './selection';
import './headView';
import './modelView';
import './summaryView';

const DEFAULT_STATE = {
  mode: 'model' as Mode,
  layer: 0,
  head: 0,
  lineMode: 'lines',
  direction: 'all' as AttentionSelection['direction'],
};

const MODE_LABELS: Record<Mode, string> = { model: 'Model', head: 'Head', summary: 'Summary' };

/**
 * The attention explorer: the pair's heading, the mode toolbar, and one of three views (all heads as
 * thumbnails, one head's links, the per-layer shares). It keeps the selection and reports each drawing.
 */
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
      .readout {
        min-height: 2.6em;
        font-size: 0.92em;
        margin: 4px 0;
      }
    `,
    modelViewStyles,
    headViewStyles,
    summaryViewStyles,
  ];

  private pair: AttentionPair | undefined;
  /** Per-layer shares of the current pair, computed once per pair (a pass over the whole tensor). */
  private shares: Record<ShareKind, number[]> | undefined;
  private status = { message: '', busy: false };
  private hovered: Hovered | undefined;
  /** The view's width: the canvases are sized to it when drawn. */
  private width = 0;
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
    new ResizeObserver(() => {
      if (this.clientWidth === this.width) return;
      this.width = this.clientWidth;
      this.requestUpdate();
    }).observe(this);
  }

  private select(change: Partial<AttentionSelection> & { mode?: Mode }) {
    this.drawStarted = performance.now();
    if (change.mode) this.state.mode = change.mode;
    if (change.layer !== undefined) this.state.layer = change.layer;
    if (change.head !== undefined) this.state.head = change.head;
    if (change.lineMode) this.state.lineMode = change.lineMode;
    if (change.direction) this.state.direction = change.direction;
    this.hovered = undefined;
    this.setState({});
  }

  private hover(hovered: Hovered | undefined): void {
    this.hovered = hovered;
    this.requestUpdate();
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
              ${MODE_LABELS[m]}
            </button>`,
        )}
      </div>
      ${this.view(p)}
    `;
  }

  private view(p: AttentionPair): TemplateResult {
    const select = (e: CustomEvent<Partial<AttentionSelection> & { mode?: Mode }>) => this.select(e.detail);
    const s = this.state;
    if (s.mode === 'model')
      return html`<rl-attention-model
        .attention=${p.attention}
        .layer=${s.layer}
        .head=${s.head}
        .width=${this.width}
        @rl-select=${select}
      ></rl-attention-model>`;
    if (s.mode === 'head')
      return html`<rl-attention-head
        .pair=${p}
        .selection=${{ layer: s.layer, head: s.head, direction: s.direction, lineMode: s.lineMode }}
        .hovered=${this.hovered}
        .width=${this.width}
        @rl-select=${select}
        @rl-hover=${(e: CustomEvent<Hovered | null>) => this.hover(e.detail ?? undefined)}
      ></rl-attention-head>`;
    this.shares ??= attentionShares(p.attention, p.tokens);
    return html`<rl-attention-summary
      .shares=${this.shares}
      .datasetMean=${p.datasetMean}
    ></rl-attention-summary>`;
  }

  protected override drawn(): void {
    if (!this.pair) return;
    const started = this.drawStarted || performance.now();
    const ms = performance.now() - started;
    this.drawStarted = 0;
    this.lastMs = ms;
    this.channel.timing(`attention ${this.state.mode}`, ms);
    const report = this.report();
    this.channel.endpoint.notify('rendered', report);
    for (const resolve of this.waiting.splice(0)) resolve(report);
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
