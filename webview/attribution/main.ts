import { css, html } from 'lit';
import type { Baseline, LayerAttribution } from '../../src/core/attribution';
import { attributionProtocol, type AttributionView } from '../../src/protocol/attribution';
import { visiblyColoured } from '../shared/attributionText';
import { RankLensApp, attributionTextStyles, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { themeClass } from '../shared/theme';
import { attributedTextsStyles } from './attributedTexts';
import { attributionPickerStyles } from './attributionPicker';
import { convergenceStyles } from './convergence';
import { formatValue } from './colors';
import { layerHeatmapStyles } from './layerHeatmap';
import { topTokensStyles } from './topTokens';
import './attributedTexts';
import './attributionPicker';
import './convergence';
import './layerHeatmap';
import './topTokens';

const DEFAULT_STATE = {
  layer: -1,
  baseline: '' as Baseline | '',
  oneScale: false,
  /** The heatmap's rows on one colour scale; by default each layer has its own (low layers are small). */
  sharedHeatScale: false,
};

type Selection = { layer?: number; baseline?: Baseline };

/**
 * The Integrated Gradients panel of one pair: which attribution to show, how well it converged, the texts
 * coloured by it, every layer as a heatmap, and the passage's top tokens.
 */
class AttributionApp extends RankLensApp<typeof DEFAULT_STATE> {
  static override styles = [
    panelStyles,
    attributionTextStyles,
    css`
      .sub {
        margin-bottom: 10px;
      }
      .saved {
        margin-top: 14px;
        opacity: 0.8;
        word-break: break-all;
      }
    `,
    attributionPickerStyles,
    convergenceStyles,
    attributedTextsStyles,
    layerHeatmapStyles,
    topTokensStyles,
  ];

  private view: AttributionView | undefined;
  /** Changes with the theme: the heatmap redraws in its colours. */
  private theme = 0;

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
    this.theme++;
    super.themeChanged();
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
    return this.view?.result.layers.find((e) => e.layer === this.state.layer && e.baseline === this.baseline);
  }

  private heatmap() {
    return this.renderRoot.querySelector('rl-layer-heatmap');
  }

  private async savePng(): Promise<{ file: string }> {
    const heatmap = this.heatmap();
    if (!heatmap) throw new Error('the heatmap is not drawn yet');
    return this.channel.endpoint.request('savePng', { dataUrl: heatmap.pngDataUrl() });
  }

  private select(change: Selection): void {
    if (change.layer !== undefined && Number.isFinite(change.layer)) this.state.layer = change.layer;
    if (change.baseline !== undefined) this.state.baseline = change.baseline;
    this.setState({});
  }

  override render() {
    const v = this.view;
    if (!v) return html`<p>Computing Integrated Gradients…</p>`;
    const entry = this.entry();
    const { tokens } = v.result;
    const values = entry?.attributions ?? tokens.map(() => 0);
    const layers = this.layers();
    const select = (e: CustomEvent<Selection>) => this.select(e.detail);
    const oneScale = this.state.oneScale;
    return html`
      <h2>Integrated Gradients</h2>
      <div class="sub">
        ${v.qid ? `qid ${v.qid} · pid ${v.pid} · ` : ''}model ${v.model} · score
        ${formatValue(v.result.score, 6)} · ${tokens.length} tokens · tolerance
        ${(100 * v.result.tolerance).toFixed(0)}%
      </div>
      <rl-attribution-picker
        .layers=${layers}
        .baselines=${this.baselines()}
        .numLayers=${v.numLayers}
        .layer=${this.state.layer}
        .baseline=${this.baseline}
        @rl-select=${select}
        @rl-open-json=${() => this.channel.endpoint.notify('openJson', {})}
        @rl-save-png=${() => void this.savePng()}
      ></rl-attribution-picker>
      <rl-attribution-convergence .result=${v.result} .entry=${entry}></rl-attribution-convergence>
      <rl-attributed-texts
        .view=${v}
        .layer=${this.state.layer}
        .baseline=${this.baseline}
        .values=${values}
        .oneScale=${oneScale}
        @rl-one-scale=${(e: CustomEvent<boolean>) => this.setState({ oneScale: e.detail })}
      ></rl-attributed-texts>
      <rl-layer-heatmap
        .view=${v}
        .layers=${layers}
        .baseline=${this.baseline}
        .layer=${this.state.layer}
        .shared=${this.state.sharedHeatScale}
        .theme=${this.theme}
        @rl-select=${select}
        @rl-heat-scale=${(e: CustomEvent<boolean>) => this.setState({ sharedHeatScale: e.detail })}
        @rl-drawn=${(e: CustomEvent<number>) => void this.heatmapDrawn(e.detail)}
      ></rl-layer-heatmap>
      <rl-top-tokens .tokens=${tokens} .values=${values} .oneScale=${oneScale}></rl-top-tokens>
      <div class="saved">Saved to <code>${v.savedTo}</code></div>
    `;
  }

  /** The heatmap redrew: report it once the rest of the panel has drawn too. */
  private async heatmapDrawn(ms: number): Promise<void> {
    await this.updateComplete;
    this.channel.timing('attribution heatmap', ms);
    this.channel.endpoint.notify('rendered', this.report());
  }

  private report() {
    const { spans, coloured } = visiblyColoured(this.renderRoot);
    return {
      layers: this.renderRoot.querySelectorAll('#layer vscode-option').length,
      baselines: this.renderRoot.querySelectorAll('#baseline vscode-option').length,
      coloredSpans: spans,
      visiblyColored: coloured,
      theme: themeClass(),
      layer: this.state.layer,
      heatScale: this.state.sharedHeatScale ? ('shared' as const) : ('per-layer' as const),
      heatmapCells: 0,
      axisLabelColor: '',
      heatmapColouredCells: [] as number[],
      heatmapRowMax: [] as number[],
      ...this.heatmap()?.report(),
    };
  }
}

customElements.define('rl-app', AttributionApp);
