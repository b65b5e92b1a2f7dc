import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { Baseline } from '../../src/core/attribution';
import { RankLensPart } from '../shared/part';
import { singleSelect } from '../shared/singleSelect';
import { BASELINE_LABELS, layerLabel } from './labels';

export const attributionPickerStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
    align-items: end;
    margin: 8px 0 12px;
  }
  .controls label {
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .controls vscode-single-select {
    min-width: 240px;
  }
  #baseline {
    min-width: 360px;
  }
  .actions {
    margin-left: auto;
    display: flex;
    gap: 8px;
  }
`;

/** Which attribution the panel shows (`rl-select`: a layer or baseline), and the result's exports. */
class AttributionPicker extends RankLensPart {
  @property({ attribute: false }) layers: number[] = [];
  @property({ attribute: false }) baselines: Baseline[] = [];
  @property({ attribute: false }) numLayers = 0;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) baseline!: Baseline;

  override render() {
    const select = (change: { layer?: number; baseline?: Baseline }) => this.emit('rl-select', change);
    const layers = this.layers.map((k) => [String(k), layerLabel(k, this.numLayers)] as const);
    const baselines = this.baselines.map((b) => [b, BASELINE_LABELS[b]] as const);
    return html`<div class="controls">
      <label
        >Layer
        ${singleSelect('layer', String(this.layer), layers, (v) => select({ layer: Number(v) }))}</label
      >
      <label
        >Baseline x′
        ${singleSelect('baseline', this.baseline, baselines, (v) => select({ baseline: v as Baseline }))}</label
      >
      <div class="actions">
        <vscode-button secondary @click=${() => this.emit('rl-open-json', undefined)}
          >Open JSON</vscode-button
        >
        <vscode-button secondary @click=${() => this.emit('rl-save-png', undefined)}>Save PNG</vscode-button>
      </div>
    </div>`;
  }
}

customElements.define('rl-attribution-picker', AttributionPicker);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attribution-picker': AttributionPicker;
  }
}
