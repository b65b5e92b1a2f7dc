import { html, nothing } from 'lit';
import type { Baseline } from '../../src/core/attribution';
import {
  inspectorProtocol,
  type AttributionState,
  type InspectedPair,
  type RankInfo,
  type WhatIfSpec,
} from '../../src/protocol/inspector';
import { visiblyColoured } from '../shared/attributionText';
import { RankLensApp, attributionTextStyles, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { themeClass } from '../shared/theme';
import { attentionMapsStyles, type MapChoice } from './attentionMaps';
import { attributionControlsStyles } from './attributionControls';
import { pickableTextsStyles } from './pickableTexts';
import { scoreCardsStyles } from './scoreCards';
import { whatIfBuilderStyles } from './whatIfBuilder';
import { whatIfTableStyles } from './whatIfTable';
import { WhatIfController, type MaskSettings } from './whatIf';
import './attentionMaps';
import './attributionControls';
import './pickableTexts';
import './scoreCards';
import './whatIfBuilder';
import './whatIfTable';

const DEFAULT_STATE = {
  layer: -1,
  baseline: 'empty-document' as Baseline,
  oneScale: false,
  kind: 'token' as MaskSettings['kind'],
  from: 'all' as MaskSettings['from'],
  to: 'periods' as MaskSettings['to'],
  maskLayers: 0,
  bothWays: false,
  replacePeriods: false,
  mapLayer: 0,
  mapHead: -1,
};
type InspectorState = typeof DEFAULT_STATE;
type AttributionViewChange = { layer?: number; baseline?: Baseline };

/**
 * The pair inspector: the score and rank, Integrated Gradients over the texts at a chosen layer, what-ifs
 * built from masks (WhatIfController) and their table, and attention maps of the original beside a what-if.
 */
class InspectorApp extends RankLensApp<InspectorState> {
  static override styles = [
    panelStyles,
    attributionTextStyles,
    scoreCardsStyles,
    attributionControlsStyles,
    pickableTextsStyles,
    whatIfBuilderStyles,
    whatIfTableStyles,
    attentionMapsStyles,
  ];

  private pair: InspectedPair | undefined;
  private rank: RankInfo = { status: 'none' };
  private attribution: AttributionState = { status: 'computing' };
  private readonly whatIf: WhatIfController = new WhatIfController(
    this,
    () => this.channel.endpoint,
    this.state,
  );

  protected readonly channel = connect(inspectorProtocol, {
    notifications: {
      pair: (pair) => {
        const changed = this.pair?.query !== pair.query || this.pair?.passage !== pair.passage;
        this.pair = pair;
        if (changed) {
          // The previous pair's rank and attributions do not belong to this one; the host sends the new ones.
          this.whatIf.forgetPicks();
          this.rank = { status: 'none' };
          this.attribution = { status: 'computing' };
        }
        if (this.state.layer < 0 || this.state.layer > pair.numLayers)
          this.state.layer = Math.max(1, Math.floor(pair.numLayers / 2));
        // The editor's decorations show the slider's layer (the host forwards it).
        if (changed) this.channel.endpoint.notify('attributionView', this.attributionView());
        if (this.state.maskLayers < 1 || this.state.maskLayers > pair.numLayers)
          this.state.maskLayers = pair.numLayers;
        this.state.mapLayer = Math.min(this.state.mapLayer, pair.numLayers - 1);
        this.requestUpdate();
      },
      attributionView: ({ layer, baseline }) => {
        if (layer === this.state.layer && baseline === this.state.baseline) return;
        const numLayers = this.pair?.numLayers ?? layer;
        this.setState({ layer: Math.min(layer, numLayers), baseline });
      },
      rank: (rank) => {
        this.rank = rank;
        this.requestUpdate();
      },
      attribution: (state) => {
        this.attribution = state;
        this.requestUpdate();
      },
      whatIfs: ({ items }) => this.whatIf.receive(items),
    },
    requests: {
      snapshot: async () => {
        await this.updateComplete;
        return this.snapshot();
      },
      setLayer: async ({ layer }) => {
        this.setView({ layer });
        await this.updateComplete;
        return this.snapshot();
      },
      applyWhatIf: async (spec) => {
        await this.whatIf.apply(spec);
        return this.snapshot();
      },
      // The pair came with a what-if (a report's drill-down): the controls show it, then it is applied.
      presetWhatIf: async (spec) => {
        const m = spec.mask;
        this.setState({
          replacePeriods: spec.replacePeriods,
          ...(m
            ? {
                kind: m.kind,
                from: m.from.group,
                to: m.to.group,
                maskLayers: m.layers,
                bothWays: m.bothWays ?? false,
              }
            : {}),
        });
        await this.whatIf.apply(spec);
        return this.snapshot();
      },
      undoWhatIf: async () => {
        await this.whatIf.undo();
        return this.snapshot();
      },
    },
  });

  constructor() {
    super(DEFAULT_STATE);
  }

  private attributionView(): { layer: number; baseline: Baseline } {
    return { layer: this.state.layer, baseline: this.state.baseline };
  }

  /** The user's layer or baseline: shown here, and said to the host for the editor's decorations. */
  private setView(change: AttributionViewChange): void {
    this.setState(change);
    this.channel.endpoint.notify('attributionView', this.attributionView());
  }

  override render() {
    const p = this.pair;
    if (!p) return html`<p class="busy">Running the model on the pair…</p>`;
    const s = this.state;
    const w = this.whatIf;
    const host = this.channel.endpoint;
    return html`
      <h2>Pair Inspector</h2>
      <div class="sub">
        ${p.qid ? `qid ${p.qid} · ` : ''}${p.pid ? `pid ${p.pid} · ` : ''}model ${p.model} ·
        ${p.tokens.length} tokens ${p.truncated ? html` · <b>passage truncated to fit</b>` : nothing}
        ${
          p.pid
            ? html` ·
                <a href="#" @click=${(e: Event) => (e.preventDefault(), host.notify('showPassage', {}))}
                  >show passage</a
                >`
            : nothing
        }
      </div>
      <rl-score-cards .pair=${p} .rank=${this.rank}></rl-score-cards>
      <rl-pickable-texts
        .pair=${p}
        .attribution=${this.attribution}
        .layer=${s.layer}
        .baseline=${s.baseline}
        .oneScale=${s.oneScale}
        .picked=${w.picked}
        @rl-view=${(e: CustomEvent<AttributionViewChange>) => this.setView(e.detail)}
        @rl-cancel=${() => host.notify('cancelAttribution', {})}
        @rl-toggle=${(e: CustomEvent<number>) => w.togglePick(e.detail)}
        @rl-one-scale=${(e: CustomEvent<boolean>) => this.setState({ oneScale: e.detail })}
      ></rl-pickable-texts>
      <rl-what-if-builder
        .numLayers=${p.numLayers}
        .settings=${{ ...s }}
        .picked=${w.picked}
        .pending=${w.pending}
        .error=${w.error}
        @rl-mask=${(e: CustomEvent<Partial<MaskSettings>>) => this.setState(e.detail)}
        @rl-apply=${(e: CustomEvent<WhatIfSpec>) => void w.apply(e.detail)}
        @rl-clear-picks=${() => w.clearPicks()}
      ></rl-what-if-builder>
      <rl-what-if-table
        .pair=${p}
        .rank=${this.rank}
        .results=${w.results}
        .chosen=${w.chosen}
        @rl-choose=${(e: CustomEvent<number>) => w.choose(e.detail)}
        @rl-undo=${() => host.notify('undoWhatIf', {})}
        @rl-clear=${() => host.notify('clearWhatIfs', {})}
        @rl-over-split=${(e: CustomEvent<number>) => host.notify('runOverSplit', { id: e.detail })}
      ></rl-what-if-table>
      <rl-attention-maps
        .pair=${p}
        .whatIf=${w.results[w.chosen]}
        .whatIfNumber=${w.chosen + 1}
        .whatIfMap=${w.chosenMap}
        .mapError=${w.mapError}
        .layer=${s.mapLayer}
        .head=${s.mapHead}
        @rl-map=${(e: CustomEvent<MapChoice>) => this.setState(e.detail)}
      ></rl-attention-maps>
    `;
  }

  protected override drawn(): void {
    if (this.pair) this.channel.endpoint.notify('rendered', this.snapshot());
  }

  private snapshot() {
    const { spans, coloured } = visiblyColoured(this.renderRoot.querySelector('.texts') ?? this.renderRoot);
    const w = this.whatIf;
    return {
      scoreText: this.renderRoot.querySelector('#score')?.textContent?.trim() ?? '',
      rankText: this.renderRoot.querySelector('#rank')?.textContent?.trim() ?? '',
      layer: this.state.layer,
      baseline: this.state.baseline,
      tokens: spans,
      visiblyColored: coloured,
      whatIfs: w.results.map((r) => ({ label: r.label, score: r.score, rank: r.rank?.rank })),
      picked: w.picked.size,
      maskKind: this.state.kind,
      maskFrom: this.state.from,
      maskTo: this.state.to,
      maskLayers: this.state.maskLayers,
      maskBothWays: this.state.bothWays,
      mapShown: w.mapShown(),
      theme: themeClass(),
      attributionStatus: this.attribution.status,
    };
  }
}

customElements.define('rl-app', InspectorApp);
