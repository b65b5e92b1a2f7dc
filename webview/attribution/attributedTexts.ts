import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { Baseline } from '../../src/core/attribution';
import type { AttributionView } from '../../src/protocol/attribution';
import {
  colouredText,
  isTextToken as isText,
  scaleLegend,
  scaleLimit,
  textScales,
  zeroByConstruction,
} from '../shared/attributionText';
import { cssom } from '../shared/cssom';
import { RankLensPart } from '../shared/part';
import { formatValue, spanBackground } from './colors';
import { layerLabel } from './labels';

export const attributedTextsStyles = css`
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
`;

/**
 * The query and passage coloured by their attributions at one layer (the part of the passage the model
 * did not see marked), the special tokens with their values, and the colour scales.
 */
class AttributedTexts extends RankLensPart {
  @property({ attribute: false }) view!: AttributionView;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) baseline!: Baseline;
  /** The attributions at that layer (0 for every token when there are none). */
  @property({ attribute: false }) values: readonly number[] = [];
  @property({ attribute: false }) oneScale = false;

  override render() {
    const v = this.view;
    const { tokens } = v.result;
    const values = this.values;
    // Each text on its own scale by default: the query's attributions are often tens of times the
    // passage's, and one shared scale would leave the passage looking uncoloured.
    const { both, query: queryLimit, passage: passageLimit } = textScales(tokens, values, this.oneScale);
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
    const notes = (['query', 'passage'] as const).flatMap((side) => {
      const limit = side === 'query' ? scaleLimit(tokens, values, 0) : scaleLimit(tokens, values, 1);
      if (limit !== 0) return [];
      return [
        zeroByConstruction(this.layer, v.numLayers, this.baseline, side) ??
          `Every ${side} token's attribution is 0 at this layer.`,
      ];
    });
    return html`
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
          this.oneScale
            ? scaleLegend('query and passage', both)
            : html`${scaleLegend('query', queryLimit)}${scaleLegend('passage', passageLimit)}`
        }
        <span class="note-inline">blue lowers the score, red raises it; white/background = 0</span>
        <vscode-checkbox
          id="one-scale"
          label="one scale for both texts (compare their magnitudes)"
          ?checked=${this.oneScale}
          @change=${(e: Event) => this.emit('rl-one-scale', (e.target as HTMLInputElement).checked)}
        ></vscode-checkbox>
      </div>
    `;
  }
}

customElements.define('rl-attributed-texts', AttributedTexts);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attributed-texts': AttributedTexts;
  }
}
