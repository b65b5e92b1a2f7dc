import { css, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Baseline, LayerAttribution } from '../../src/core/attribution';
import type { AttentionTensor } from '../../src/protocol/attention';
import {
  inspectorProtocol,
  type AttributionState,
  type InspectedPair,
  type MaskTarget,
  type RankInfo,
  type WhatIfResult,
  type WhatIfSpec,
} from '../../src/protocol/inspector';
import { drawHeatmap, headOffset, layerMean, toRgb } from '../shared/attentionCanvas';
import {
  colouredText,
  isTextToken,
  scaleLegend,
  scaleLimit,
  visiblyColoured,
  zeroByConstruction,
} from '../shared/attributionText';
import { RankLensApp, attributionTextStyles, panelStyles } from '../shared/app';
import { connect } from '../shared/channel';
import { cssom } from '../shared/cssom';
import { chartColors, themeClass } from '../shared/theme';
import { formatValue, spanBackground } from '../attribution/colors';

type Group = MaskTarget['group'];
const GROUPS: [Group, string][] = [
  ['all', 'all tokens'],
  ['query', 'query'],
  ['document', 'document'],
  ['periods', 'periods'],
  ['sep', '[SEP]'],
  ['cls', '[CLS]'],
  ['picked', 'picked tokens'],
];

function layerName(layer: number, numLayers: number): string {
  if (layer === 0) return 'layer 0 (embedding output)';
  if (layer === numLayers) return `layer ${layer} (after the last layer, the classifier's input)`;
  return `layer ${layer}`;
}

function target(group: Group, picked: ReadonlySet<number>): MaskTarget {
  return group === 'picked' ? { group, positions: [...picked].sort((a, b) => a - b) } : { group };
}

const DEFAULT_STATE = {
  layer: -1,
  baseline: 'empty-document' as Baseline,
  oneScale: false,
  kind: 'token' as 'token' | 'attention',
  from: 'all' as Group,
  to: 'periods' as Group,
  maskLayers: 0,
  replacePeriods: false,
  mapLayer: 0,
  mapHead: -1,
};
type InspectorState = typeof DEFAULT_STATE;

class InspectorApp extends RankLensApp<InspectorState> {
  static override styles = [
    panelStyles,
    attributionTextStyles,
    css`
      .cards {
        grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
        margin: 10px 0;
      }
      .tok {
        cursor: pointer;
      }
      .tok.selected,
      .chip.selected {
        outline: 2px solid var(--vscode-focusBorder);
        outline-offset: 0;
      }
      .tok:focus-visible,
      .chip:focus-visible {
        outline: 2px dashed var(--vscode-focusBorder);
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-top: 6px;
        font-family: var(--vscode-editor-font-family);
        font-size: 0.92em;
      }
      .chip {
        border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
        border-radius: 3px;
        padding: 0 6px;
        cursor: pointer;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 10px 16px;
        align-items: end;
        margin: 8px 0;
      }
      .controls label {
        display: flex;
        flex-direction: column;
        gap: 3px;
      }
      input[type='range'] {
        width: 220px;
        accent-color: var(--vscode-button-background);
      }
      input[type='range']:focus-visible {
        outline-offset: 2px;
      }
      .builder {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 12px;
        align-items: end;
        border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
        border-radius: 4px;
        padding: 8px 10px;
      }
      .builder label {
        display: flex;
        flex-direction: column;
        gap: 3px;
      }
      table {
        margin-top: 8px;
      }
      tr.chosen td {
        background: var(--vscode-list-inactiveSelectionBackground, rgba(128, 128, 128, 0.2));
      }
      .maps {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
        gap: 12px;
        max-width: 760px;
      }
      .maps canvas {
        width: 100%;
        aspect-ratio: 1;
        image-rendering: pixelated;
        border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
      }
    `,
  ];

  private pair: InspectedPair | undefined;
  private rank: RankInfo = { status: 'none' };
  private attribution: AttributionState = { status: 'computing' };
  private whatIfs: WhatIfResult[] = [];
  private picked = new Set<number>();
  private pending = false;
  private mapError = '';
  private error = '';
  private chosenWhatIf = -1;
  /** The attention map of the chosen what-if only (the host keeps or recomputes the others'). */
  private chosenMap: { id: number; attention: AttentionTensor } | undefined;

  protected readonly channel = connect(inspectorProtocol, {
    notifications: {
      pair: (pair) => {
        const changed = this.pair?.query !== pair.query || this.pair?.passage !== pair.passage;
        this.pair = pair;
        if (changed) {
          // The previous pair's rank and attributions do not belong to this one; the host sends the new ones.
          this.picked = new Set();
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
      whatIfs: ({ items }) => {
        this.whatIfs = items;
        this.choose(items.length - 1);
      },
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
        await this.apply(spec);
        return this.snapshot();
      },
      // The pair came with a what-if (a report's drill-down): the controls show it, then it is applied.
      presetWhatIf: async (spec) => {
        const m = spec.mask;
        this.setState({
          replacePeriods: spec.replacePeriods,
          ...(m ? { kind: m.kind, from: m.from.group, to: m.to.group, maskLayers: m.layers } : {}),
        });
        await this.apply(spec);
        return this.snapshot();
      },
      undoWhatIf: async () => {
        const before = this.whatIfs.length;
        this.channel.endpoint.notify('undoWhatIf', {});
        await this.until(() => this.whatIfs.length < before);
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
  private setView(change: { layer?: number; baseline?: Baseline }): void {
    this.setState(change);
    this.channel.endpoint.notify('attributionView', this.attributionView());
  }

  private async until(done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await this.updateComplete;
  }

  private spec(): WhatIfSpec {
    const s = this.state;
    return {
      mask: {
        kind: s.kind,
        from: target(s.from, this.picked),
        to: target(s.to, this.picked),
        layers: s.maskLayers,
      },
      replacePeriods: s.replacePeriods,
    };
  }

  private async apply(spec: WhatIfSpec): Promise<void> {
    this.pending = true;
    this.error = '';
    this.requestUpdate();
    const before = this.whatIfs.length;
    try {
      await this.channel.endpoint.request('whatIf', spec);
      await this.until(() => this.whatIfs.length > before);
      // Bring the new row and the attention maps beside the original into view.
      this.renderRoot.querySelector('#what-ifs tr.chosen')?.scrollIntoView({ block: 'center' });
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.pending = false;
      this.requestUpdate();
      await this.updateComplete;
    }
  }

  /** Shows what-if row k beside the original, fetching its attention map from the host. */
  private choose(k: number): void {
    this.chosenWhatIf = k;
    this.requestUpdate();
    const id = this.whatIfs[k]?.id;
    if (id === undefined) {
      this.chosenMap = undefined;
      return;
    }
    if (this.chosenMap?.id === id) return;
    this.mapError = '';
    this.channel.endpoint.request('whatIfAttention', { id }).then(
      (attention) => {
        if (this.whatIfs[this.chosenWhatIf]?.id !== id) return;
        this.chosenMap = { id, attention };
        this.requestUpdate();
      },
      (error: unknown) => {
        this.mapError = error instanceof Error ? error.message : String(error);
        this.requestUpdate();
      },
    );
  }

  private toggle(position: number): void {
    if (this.picked.has(position)) this.picked.delete(position);
    else this.picked.add(position);
    // Picking tokens is for masking them: make "picked tokens" the target if no group was chosen yet.
    if (this.picked.size > 0 && this.state.from !== 'picked' && this.state.to !== 'picked')
      this.state.to = 'picked';
    this.requestUpdate();
  }

  private entry(): LayerAttribution | undefined {
    const entry = this.attribution.result?.layers.find(
      (e) => e.layer === this.state.layer && e.baseline === this.state.baseline,
    );
    // Only attributions of this pair's tokens (a late result of a previous pair is ignored).
    return entry && entry.attributions.length === this.pair?.tokens.length ? entry : undefined;
  }

  override render() {
    const p = this.pair;
    if (!p) return html`<p class="busy">Running the model on the pair…</p>`;
    return html`
      <h2>Pair Inspector</h2>
      <div class="sub">
        ${p.qid ? `qid ${p.qid} · ` : ''}${p.pid ? `pid ${p.pid} · ` : ''}model ${p.model} ·
        ${p.tokens.length} tokens ${p.truncated ? html` · <b>passage truncated to fit</b>` : nothing}
        ${
          p.pid
            ? html` ·
                <a
                  href="#"
                  @click=${(e: Event) => (e.preventDefault(), this.channel.endpoint.notify('showPassage', {}))}
                  >show passage</a
                >`
            : nothing
        }
      </div>
      ${this.cards(p)} ${this.texts(p)} ${this.whatIfBuilder(p)} ${this.whatIfTable()} ${this.maps(p)}
    `;
  }

  private cards(p: InspectedPair): TemplateResult {
    const probability = p.numLabels === 2 ? p.score : p.sigmoid;
    const r = this.rank;
    const rankText =
      r.status === 'done' && r.rank
        ? `${r.rank.rank} of ${r.rank.of}`
        : r.status === 'computing'
          ? 'scoring candidates…'
          : r.status === 'failed'
            ? 'failed'
            : '—';
    return html`<div class="cards">
      <div class="card">
        <div class="value" id="score">${p.score.toFixed(4)}</div>
        <div class="name">${p.numLabels === 2 ? 'score = P(relevant)' : 'score (logit)'}</div>
      </div>
      <div class="card">
        <div class="value" id="probability">${probability !== undefined ? probability.toFixed(4) : '—'}</div>
        <div class="name">${p.numLabels === 2 ? 'probability (softmax of 2 logits)' : 'sigmoid(score)'}</div>
      </div>
      <div class="card">
        <div class="value" id="rank">${rankText}</div>
        <div class="name">
          ${
            r.status === 'done' || r.status === 'computing'
              ? `rank by the model among ${r.run}'s candidates${r.runRank !== undefined ? ` (rank ${r.runRank} in the run)` : ''}`
              : (r.message ?? 'rank among candidates')
          }
        </div>
      </div>
    </div>`;
  }

  private texts(p: InspectedPair): TemplateResult {
    const a = this.attribution;
    const entry = this.entry();
    const values = entry?.attributions ?? p.tokens.map(() => 0);
    const both = scaleLimit(p.tokens, values);
    const queryLimit = this.state.oneScale ? both : scaleLimit(p.tokens, values, 0);
    const passageLimit = this.state.oneScale ? both : scaleLimit(p.tokens, values, 1);
    const onToggle = (i: number) => this.toggle(i);
    const query = colouredText(p.query, p.tokens, values, 0, queryLimit, { selected: this.picked, onToggle });
    const passage = colouredText(p.passage, p.tokens, values, 1, passageLimit, {
      selected: this.picked,
      onToggle,
    });
    const notes = entry
      ? (['query', 'passage'] as const).flatMap((side) =>
          scaleLimit(p.tokens, values, side === 'query' ? 0 : 1) === 0
            ? [
                zeroByConstruction(this.state.layer, p.numLayers, this.state.baseline, side) ??
                  `Every ${side} token's attribution is 0 here.`,
              ]
            : [],
        )
      : [];
    return html`
      <h3>Integrated Gradients: which tokens raise (red) or lower (blue) the score</h3>
      <div class="controls">
        <label
          >${layerName(this.state.layer, p.numLayers)}
          <input
            id="layer"
            type="range"
            min="0"
            max=${p.numLayers}
            step="1"
            .value=${String(this.state.layer)}
            aria-label="Attribution layer"
            @input=${(e: Event) => this.setView({ layer: Number((e.target as HTMLInputElement).value) })}
        /></label>
        <label
          >Baseline x′
          <vscode-single-select
            id="baseline"
            .value=${this.state.baseline}
            @change=${(e: Event) => this.setView({ baseline: (e.target as HTMLSelectElement).value as Baseline })}
          >
            <vscode-option value="empty-document" ?selected=${this.state.baseline === 'empty-document'}
              >empty document (passage → [PAD])</vscode-option
            >
            <vscode-option value="empty-query" ?selected=${this.state.baseline === 'empty-query'}
              >empty query (query → [PAD])</vscode-option
            >
          </vscode-single-select></label
        >
        ${
          a.status === 'computing'
            ? html`<span class="busy" id="ig-status"
                  >Computing Integrated Gradients… ${a.total ? `${a.done}/${a.total} integrals` : ''}</span
                >
                <vscode-button secondary @click=${() => this.channel.endpoint.notify('cancelAttribution', {})}
                  >Cancel</vscode-button
                >`
            : a.status === 'done'
              ? html`<span class="hint" id="ig-status"
                  >${
                    entry
                      ? `completeness error ${(100 * entry.completenessError).toFixed(2)}% (Σ attributions ${formatValue(entry.sum, 4)} vs F(x) − F(x′) ${formatValue(entry.scoreInput - entry.scoreBaseline, 4)}, ${entry.points} points)`
                      : ''
                  }${a.ms !== undefined ? ` · computed in ${(a.ms / 1000).toFixed(1)} s` : ''}</span
                >`
              : html`<span class="warning" id="ig-status"
                  >Integrated Gradients ${a.status}: ${a.message ?? ''}</span
                >`
        }
      </div>
      ${
        entry && !entry.converged
          ? html`<div class="warning">
              Not converged at this layer: the attributions do not add up to F(x) − F(x′) within the
              tolerance.
            </div>`
          : nothing
      }
      ${notes.map((n) => html`<div class="note" role="note">${n}</div>`)}
      <div class="texts">
        <div class="role">Query</div>
        <div class="text" id="query">${query.spans}${p.query.slice(query.end)}</div>
        <div class="role">Passage</div>
        <div class="text" id="passage">${passage.spans}${p.passage.slice(passage.end)}</div>
      </div>
      <div class="chips">
        ${p.tokens.map((t, i) =>
          isTextToken(t) || t.kind === 'pad'
            ? nothing
            : html`<span
                class="chip${this.picked.has(i) ? ' selected' : ''}"
                role="button"
                tabindex="0"
                aria-pressed=${String(this.picked.has(i))}
                ${cssom({ 'background-color': spanBackground(values[i], t.segment === 0 ? queryLimit : passageLimit) })}
                title="position ${i}: ${formatValue(values[i], 6)}"
                @click=${() => this.toggle(i)}
                @keydown=${(e: KeyboardEvent) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    this.toggle(i);
                  }
                }}
                >${t.text} ${entry ? formatValue(values[i]) : ''}</span
              >`,
        )}
      </div>
      <div class="legend">
        ${this.state.oneScale ? scaleLegend('query and passage', both) : html`${scaleLegend('query', queryLimit)}${scaleLegend('passage', passageLimit)}`}
        <vscode-checkbox
          label="one scale for both texts"
          ?checked=${this.state.oneScale}
          @change=${(e: Event) => this.setState({ oneScale: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
      </div>
      <div class="hint">
        Click tokens to pick them for a what-if below (keyboard: Tab into a text, arrow keys move, Enter
        picks).
      </div>
    `;
  }

  private select(
    id: string,
    value: string,
    options: [string, string][],
    change: (value: string) => void,
  ): TemplateResult {
    return html`<vscode-single-select
      id=${id}
      .value=${value}
      @change=${(e: Event) => change((e.target as HTMLSelectElement).value)}
    >
      ${options.map(([v, label]) => html`<vscode-option value=${v} ?selected=${v === value}>${label}</vscode-option>`)}
    </vscode-single-select>`;
  }

  private whatIfBuilder(p: InspectedPair): TemplateResult {
    const s = this.state;
    const layers = Array.from({ length: p.numLayers }, (_, i): [string, string] => [
      String(i + 1),
      i + 1 === p.numLayers ? `${i + 1} (all)` : String(i + 1),
    ]);
    return html`
      <h3>What if… (masking)</h3>
      <div class="builder">
        <label
          >Mask
          ${this.select(
            'kind',
            s.kind,
            [
              ['token', 'token mask (−∞ before softmax)'],
              ['attention', 'attention mask (0 after softmax)'],
            ],
            (v) => this.setState({ kind: v as 'token' | 'attention' }),
          )}</label
        >
        <label>from ${this.select('from', s.from, GROUPS, (v) => this.setState({ from: v as Group }))}</label>
        <label>to ${this.select('to', s.to, GROUPS, (v) => this.setState({ to: v as Group }))}</label>
        <label
          >in the first … layers
          ${this.select('mask-layers', String(s.maskLayers), layers, (v) => this.setState({ maskLayers: Number(v) }))}</label
        >
        <vscode-checkbox
          id="replace-periods"
          label="and replace periods with commas"
          ?checked=${s.replacePeriods}
          @change=${(e: Event) => this.setState({ replacePeriods: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
        <vscode-button id="apply" ?disabled=${this.pending} @click=${() => void this.apply(this.spec())}
          >Apply</vscode-button
        >
        <vscode-button
          id="apply-commas"
          secondary
          ?disabled=${this.pending}
          @click=${() => void this.apply({ replacePeriods: true })}
          >Only replace periods</vscode-button
        >
      </div>
      <div class="hint">
        ${this.picked.size} token${this.picked.size === 1 ? '' : 's'}
        picked${
          this.picked.size > 0
            ? html` ·
                <a
                  href="#"
                  @click=${(e: Event) => (e.preventDefault(), (this.picked = new Set()), this.requestUpdate())}
                  >clear picks</a
                >`
            : nothing
        }
        · "from A to B": tokens of A stop attending to tokens of B.
      </div>
      ${this.pending ? html`<div class="busy">Running the what-if (and the candidates) in the model…</div>` : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    `;
  }

  private whatIfTable(): TemplateResult {
    const p = this.pair;
    if (!p || this.whatIfs.length === 0) return html``;
    const r = this.rank.rank;
    return html`
      <table id="what-ifs">
        <thead>
          <tr>
            <th>#</th>
            <th>what if</th>
            <th>score</th>
            <th>Δ score</th>
            <th title="rank if only this pair changes; the other candidates keep their scores">
              rank (this pair changed)
            </th>
            <th title="rank when every candidate gets the same change">rank (all candidates changed)</th>
            <th>over the split</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>0</td>
            <td>original</td>
            <td class="num">${p.score.toFixed(4)}</td>
            <td class="num">—</td>
            <td class="num">${r ? `${r.rank} of ${r.of}` : '—'}</td>
            <td class="num">${r ? `${r.rank} of ${r.of}` : '—'}</td>
            <td></td>
          </tr>
          ${this.whatIfs.map(
            (w, k) =>
              html`<tr
                class=${k === this.chosenWhatIf ? 'chosen' : ''}
                tabindex="0"
                @click=${() => this.choose(k)}
                @keydown=${(e: KeyboardEvent) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    this.choose(k);
                  }
                }}
              >
                <td>${k + 1}</td>
                <td>${w.label}</td>
                <td class="num">${w.score.toFixed(4)}</td>
                <td class="num">${(w.score - p.score >= 0 ? '+' : '') + (w.score - p.score).toFixed(4)}</td>
                <td class="num rank">${w.rank ? `${w.rank.rank} of ${w.rank.of}` : '—'}</td>
                <td class="num">
                  ${w.rankAllChanged ? `${w.rankAllChanged.rank} of ${w.rankAllChanged.of}` : '— (picked tokens are this pair’s)'}
                </td>
                <td>
                  ${
                    w.overSplit
                      ? html`<vscode-button
                          secondary
                          class="over-split"
                          title=${w.overSplit}
                          @click=${(e: Event) => (e.stopPropagation(), this.channel.endpoint.notify('runOverSplit', { id: w.id }))}
                          >Run over the split</vscode-button
                        >`
                      : nothing
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <div class="controls">
        <vscode-button secondary id="undo" @click=${() => this.channel.endpoint.notify('undoWhatIf', {})}
          >Undo last</vscode-button
        >
        <vscode-button secondary @click=${() => this.channel.endpoint.notify('clearWhatIfs', {})}
          >Clear</vscode-button
        >
      </div>
    `;
  }

  private maps(p: InspectedPair): TemplateResult {
    const chosen = this.whatIfs[this.chosenWhatIf];
    const heads: [string, string][] = [
      ['-1', 'mean of heads'],
      ...Array.from({ length: p.numHeads }, (_, h): [string, string] => [String(h), `head ${h + 1}`]),
    ];
    const layers = Array.from({ length: p.numLayers }, (_, l): [string, string] => [
      String(l),
      `layer ${l + 1}`,
    ]);
    return html`
      <h3>Attention${chosen ? ` — original beside what-if ${this.chosenWhatIf + 1}` : ''}</h3>
      <div class="controls">
        <label
          >Layer
          ${this.select('map-layer', String(this.state.mapLayer), layers, (v) => this.setState({ mapLayer: Number(v) }))}</label
        >
        <label
          >Head
          ${this.select('map-head', String(this.state.mapHead), heads, (v) => this.setState({ mapHead: Number(v) }))}</label
        >
        <span class="hint"
          >rows attend to columns; [CLS] top-left, then the query, [SEP], the passage, [SEP]</span
        >
      </div>
      <div class="maps">
        <figure>
          <canvas id="map-original" role="img" aria-label="Original attention"></canvas>
          <figcaption>original (score ${p.score.toFixed(4)})</figcaption>
        </figure>
        ${
          chosen
            ? html`<figure>
                <canvas id="map-what-if" role="img" aria-label="Attention under the what-if"></canvas>
                <figcaption>
                  ${chosen.label} (score
                  ${chosen.score.toFixed(4)})${
                    this.mapError
                      ? html` · <span class="error">${this.mapError}</span>`
                      : this.chosenMap?.id !== chosen.id
                        ? html` · <span class="busy">computing its attention…</span>`
                        : nothing
                  }
                </figcaption>
              </figure>`
            : html`<p class="hint">Apply a what-if to see its attention here beside the original.</p>`
        }
      </div>
    `;
  }

  override updated(): void {
    const p = this.pair;
    if (!p) return;
    const rgb = toRgb(chartColors().accent);
    const draw = (id: string, t: InspectedPair['attention']) => {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(id);
      if (!canvas) return;
      const n = t.seqLength;
      const all = Array.from({ length: n }, (_, i) => i);
      const layer = Math.min(this.state.mapLayer, t.numLayers - 1);
      if (this.state.mapHead < 0) drawHeatmap(canvas, layerMean(t, layer), 0, n, all, all, rgb);
      else drawHeatmap(canvas, t.data, headOffset(t, layer, this.state.mapHead), n, all, all, rgb);
    };
    draw('#map-original', p.attention);
    const chosen = this.whatIfs[this.chosenWhatIf];
    if (chosen && this.chosenMap?.id === chosen.id) draw('#map-what-if', this.chosenMap.attention);
    this.channel.endpoint.notify('rendered', this.snapshot());
  }

  private snapshot() {
    const { spans, coloured } = visiblyColoured(this.renderRoot.querySelector('.texts') ?? this.renderRoot);
    return {
      scoreText: this.renderRoot.querySelector('#score')?.textContent?.trim() ?? '',
      rankText: this.renderRoot.querySelector('#rank')?.textContent?.trim() ?? '',
      layer: this.state.layer,
      baseline: this.state.baseline,
      tokens: spans,
      visiblyColored: coloured,
      whatIfs: this.whatIfs.map((w) => ({ label: w.label, score: w.score, rank: w.rank?.rank })),
      picked: this.picked.size,
      maskKind: this.state.kind,
      maskTo: this.state.to,
      mapShown:
        this.chosenMap && this.whatIfs[this.chosenWhatIf]?.id === this.chosenMap.id
          ? this.chosenWhatIf + 1
          : undefined,
      theme: themeClass(),
      attributionStatus: this.attribution.status,
    };
  }
}

customElements.define('rl-app', InspectorApp);
