import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { Baseline, LayerAttribution } from '../../src/core/attribution';
import type { AttributionState } from '../../src/protocol/inspector';
import { RankLensPart } from '../shared/part';
import { singleSelect, type Choice } from '../shared/singleSelect';
import { formatValue } from '../attribution/colors';

export const attributionControlsStyles = css`
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
`;

const BASELINES: Choice[] = [
  ['empty-document', 'empty document (passage → [PAD])'],
  ['empty-query', 'empty query (query → [PAD])'],
];

function layerName(layer: number, numLayers: number): string {
  if (layer === 0) return 'layer 0 (embedding output)';
  if (layer === numLayers) return `layer ${layer} (after the last layer, the classifier's input)`;
  return `layer ${layer}`;
}

/**
 * Which attribution the texts show (the layer slider, the baseline) and how its computation stands:
 * progress with a Cancel button (`rl-cancel`), the completeness error, or why it failed.
 */
class AttributionControls extends RankLensPart {
  @property({ attribute: false }) numLayers = 0;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) baseline!: Baseline;
  @property({ attribute: false }) attribution!: AttributionState;
  /** The attribution at the chosen layer and baseline, once computed. */
  @property({ attribute: false }) entry: LayerAttribution | undefined;

  override render() {
    const view = (change: { layer?: number; baseline?: Baseline }) => this.emit('rl-view', change);
    return html`<div class="controls">
      <label
        >${layerName(this.layer, this.numLayers)}
        <input
          id="layer"
          type="range"
          min="0"
          max=${this.numLayers}
          step="1"
          .value=${String(this.layer)}
          aria-label="Attribution layer"
          @input=${(e: Event) => view({ layer: Number((e.target as HTMLInputElement).value) })}
      /></label>
      <label
        >Baseline x′
        ${singleSelect('baseline', this.baseline, BASELINES, (v) => view({ baseline: v as Baseline }))}</label
      >
      ${this.status()}
    </div>`;
  }

  private status() {
    const a = this.attribution;
    const entry = this.entry;
    if (a.status === 'computing')
      return html`<span class="busy" id="ig-status"
          >Computing Integrated Gradients… ${a.total ? `${a.done}/${a.total} integrals` : ''}</span
        >
        <vscode-button secondary @click=${() => this.emit('rl-cancel', undefined)}>Cancel</vscode-button>`;
    if (a.status === 'done')
      return html`<span class="hint" id="ig-status"
        >${
          entry
            ? `completeness error ${(100 * entry.completenessError).toFixed(2)}% (Σ attributions ${formatValue(entry.sum, 4)} vs F(x) − F(x′) ${formatValue(entry.scoreInput - entry.scoreBaseline, 4)}, ${entry.points} points)`
            : ''
        }${a.ms !== undefined ? ` · computed in ${(a.ms / 1000).toFixed(1)} s` : ''}</span
      >`;
    return html`<span class="warning" id="ig-status"
      >Integrated Gradients ${a.status}: ${a.message ?? ''}</span
    >`;
  }
}

customElements.define('rl-attribution-controls', AttributionControls);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attribution-controls': AttributionControls;
  }
}
