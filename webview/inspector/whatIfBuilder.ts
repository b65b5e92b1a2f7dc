import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { RankLensPart } from '../shared/part';
import { singleSelect, type Choice } from '../shared/singleSelect';
import { maskSpec, type Group, type MaskSettings } from './whatIf';

export const whatIfBuilderStyles = css`
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
`;

const GROUPS: Choice[] = [
  ['all', 'all tokens'],
  ['query', 'query'],
  ['document', 'document'],
  ['periods', 'periods'],
  ['sep', '[SEP]'],
  ['cls', '[CLS]'],
  ['query-side', 'query side ([CLS], query, middle [SEP])'],
  ['document-side', 'document side (passage, final [SEP])'],
  ['picked', 'picked tokens'],
];
const KINDS: Choice[] = [
  ['token', 'token mask (−∞ before softmax)'],
  ['attention', 'attention mask (0 after softmax)'],
];

/**
 * The what-if builder: a mask from one group of tokens to another in the first layers, and/or periods
 * replaced with commas. Changes to the controls go up as `rl-mask`, a what-if to run as `rl-apply`.
 */
class WhatIfBuilder extends RankLensPart {
  @property({ attribute: false }) numLayers = 0;
  @property({ attribute: false }) settings!: MaskSettings;
  @property({ attribute: false }) picked: ReadonlySet<number> = new Set();
  /** A what-if is running: the Apply buttons wait. */
  @property({ attribute: false }) pending = false;
  @property({ attribute: false }) error = '';

  override render() {
    const s = this.settings;
    const mask = (change: Partial<MaskSettings>) => this.emit('rl-mask', change);
    const layers = Array.from({ length: this.numLayers }, (_, i): Choice => [
      String(i + 1),
      i + 1 === this.numLayers ? `${i + 1} (all)` : String(i + 1),
    ]);
    const picked = this.picked.size;
    return html`
      <h3>What if… (masking)</h3>
      <div class="builder">
        <label
          >Mask
          ${singleSelect('kind', s.kind, KINDS, (v) => mask({ kind: v as MaskSettings['kind'] }))}</label
        >
        <label>from ${singleSelect('from', s.from, GROUPS, (v) => mask({ from: v as Group }))}</label>
        <label>to ${singleSelect('to', s.to, GROUPS, (v) => mask({ to: v as Group }))}</label>
        <label
          >in the first … layers
          ${singleSelect('mask-layers', String(s.maskLayers), layers, (v) => mask({ maskLayers: Number(v) }))}</label
        >
        <vscode-checkbox
          id="both-ways"
          label="both ways"
          ?checked=${s.bothWays}
          @change=${(e: Event) => mask({ bothWays: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
        <vscode-checkbox
          id="replace-periods"
          label="and replace periods with commas"
          ?checked=${s.replacePeriods}
          @change=${(e: Event) => mask({ replacePeriods: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
        <vscode-button
          id="apply"
          ?disabled=${this.pending}
          @click=${() => this.emit('rl-apply', maskSpec(s, this.picked))}
          >Apply</vscode-button
        >
        <vscode-button
          id="apply-commas"
          secondary
          ?disabled=${this.pending}
          @click=${() => this.emit('rl-apply', { replacePeriods: true })}
          >Only replace periods</vscode-button
        >
      </div>
      <div class="hint">
        ${picked} token${picked === 1 ? '' : 's'}
        picked${
          picked > 0
            ? html` ·
                <a
                  href="#"
                  @click=${(e: Event) => (e.preventDefault(), this.emit('rl-clear-picks', undefined))}
                  >clear picks</a
                >`
            : nothing
        }
        · "from A to B": tokens of A stop attending to tokens of B (both ways: and B to A).
      </div>
      ${this.pending ? html`<div class="busy">Running the what-if (and the candidates) in the model…</div>` : nothing}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
    `;
  }
}

customElements.define('rl-what-if-builder', WhatIfBuilder);

declare global {
  interface HTMLElementTagNameMap {
    'rl-what-if-builder': WhatIfBuilder;
  }
}
