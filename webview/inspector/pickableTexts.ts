import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { Baseline, LayerAttribution } from '../../src/core/attribution';
import type { AttributionState, InspectedPair } from '../../src/protocol/inspector';
import {
  colouredText,
  isTextToken,
  scaleLegend,
  scaleLimit,
  textScales,
  zeroByConstruction,
} from '../shared/attributionText';
import { cssom } from '../shared/cssom';
import { RankLensPart } from '../shared/part';
import { formatValue, spanBackground } from '../attribution/colors';
import './attributionControls';

export const pickableTextsStyles = css`
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
`;

/**
 * The query and passage coloured by Integrated Gradients at the chosen layer, their special tokens as
 * chips, and the colour scales. Tokens and chips are buttons that pick positions for a what-if
 * (`rl-toggle`).
 */
class PickableTexts extends RankLensPart {
  @property({ attribute: false }) pair!: InspectedPair;
  @property({ attribute: false }) attribution!: AttributionState;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) baseline!: Baseline;
  @property({ attribute: false }) oneScale = false;
  @property({ attribute: false }) picked: ReadonlySet<number> = new Set();

  /** The attribution at the chosen layer and baseline, if it is of this pair's tokens. */
  private entry(): LayerAttribution | undefined {
    const entry = this.attribution.result?.layers.find(
      (e) => e.layer === this.layer && e.baseline === this.baseline,
    );
    // Only attributions of this pair's tokens (a late result of a previous pair is ignored).
    return entry && entry.attributions.length === this.pair.tokens.length ? entry : undefined;
  }

  override render() {
    const p = this.pair;
    const entry = this.entry();
    const values = entry?.attributions ?? p.tokens.map(() => 0);
    const { both, query: queryLimit, passage: passageLimit } = textScales(p.tokens, values, this.oneScale);
    const onToggle = (i: number) => this.emit('rl-toggle', i);
    const picks = { selected: this.picked, onToggle };
    const query = colouredText(p.query, p.tokens, values, 0, queryLimit, picks);
    const passage = colouredText(p.passage, p.tokens, values, 1, passageLimit, picks);
    const notes = entry
      ? (['query', 'passage'] as const).flatMap((side) =>
          scaleLimit(p.tokens, values, side === 'query' ? 0 : 1) === 0
            ? [
                zeroByConstruction(this.layer, p.numLayers, this.baseline, side) ??
                  `Every ${side} token's attribution is 0 here.`,
              ]
            : [],
        )
      : [];
    return html`
      <h3>Integrated Gradients: which tokens raise (red) or lower (blue) the score</h3>
      <rl-attribution-controls
        .numLayers=${p.numLayers}
        .layer=${this.layer}
        .baseline=${this.baseline}
        .attribution=${this.attribution}
        .entry=${entry}
        @rl-view=${(e: CustomEvent<{ layer?: number; baseline?: Baseline }>) => this.emit('rl-view', e.detail)}
        @rl-cancel=${() => this.emit('rl-cancel', undefined)}
      ></rl-attribution-controls>
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
                @click=${() => onToggle(i)}
                @keydown=${(e: KeyboardEvent) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onToggle(i);
                  }
                }}
                >${t.text} ${entry ? formatValue(values[i]) : ''}</span
              >`,
        )}
      </div>
      <div class="legend">
        ${this.oneScale ? scaleLegend('query and passage', both) : html`${scaleLegend('query', queryLimit)}${scaleLegend('passage', passageLimit)}`}
        <vscode-checkbox
          label="one scale for both texts"
          ?checked=${this.oneScale}
          @change=${(e: Event) => this.emit('rl-one-scale', (e.target as HTMLInputElement).checked)}
        ></vscode-checkbox>
      </div>
      <div class="hint">
        Click tokens to pick them for a what-if below (keyboard: Tab into a text, arrow keys move, Enter
        picks).
      </div>
    `;
  }
}

customElements.define('rl-pickable-texts', PickableTexts);

declare global {
  interface HTMLElementTagNameMap {
    'rl-pickable-texts': PickableTexts;
  }
}
