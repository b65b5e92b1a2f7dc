import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import type { LayerAttribution } from '../../src/core/attribution';
import type { AttributionView } from '../../src/protocol/attribution';
import { RankLensPart } from '../shared/part';
import { formatValue } from './colors';

export const convergenceStyles = css`
  .cards {
    grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
  }
  .ok {
    opacity: 0.75;
    margin: 4px 0 8px;
  }
`;

/**
 * How far to trust the attributions: the chosen layer's completeness check as cards (F(x), F(x′), their
 * difference, Σ attributions, the error, the points used), and whether every integral converged.
 */
class AttributionConvergence extends RankLensPart {
  @property({ attribute: false }) result!: AttributionView['result'];
  /** The attribution at the chosen layer and baseline. */
  @property({ attribute: false }) entry: LayerAttribution | undefined;

  override render() {
    const result = this.result;
    const unconverged = result.layers.filter((e) => !e.converged);
    const tolerance = (100 * result.tolerance).toFixed(0);
    return html`
      ${this.entry ? this.cards(this.entry) : nothing}
      ${
        unconverged.length > 0
          ? html`<div class="warning" role="alert">
              <b>Not converged:</b> the completeness tolerance of ${tolerance}% was not reached for
              ${unconverged
                .map(
                  (e) =>
                    `layer ${e.layer} / ${e.baseline} (${(100 * e.completenessError).toFixed(2)}% with ${e.points} points)`,
                )
                .join(', ')}.
              Those attributions do not add up to F(x) − F(x′); read them with care.
            </div>`
          : html`<div class="ok">
              All ${result.layers.length} integrals converged (Σ attributions within ${tolerance}% of F(x) −
              F(x′)).
            </div>`
      }
    `;
  }

  private cards(e: LayerAttribution) {
    const cards: [string, string][] = [
      ['F(x)', formatValue(e.scoreInput, 5)],
      ['F(x′)', formatValue(e.scoreBaseline, 5)],
      ['F(x) − F(x′)', formatValue(e.scoreInput - e.scoreBaseline, 5)],
      ['Σ attributions', formatValue(e.sum, 5)],
      ['completeness error', `${(100 * e.completenessError).toFixed(3)}%`],
      ['points used', String(e.points)],
    ];
    return html`<div class="cards" id="metrics">
      ${cards.map(
        ([name, value]) =>
          html`<div class="card">
            <div class="value">${value}</div>
            <div class="name">${name}</div>
          </div>`,
      )}
    </div>`;
  }
}

customElements.define('rl-attribution-convergence', AttributionConvergence);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attribution-convergence': AttributionConvergence;
  }
}
