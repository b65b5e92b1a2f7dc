import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { Direction } from '../shared/attentionCanvas';
import { RankLensPart } from '../shared/part';
import { singleSelect, type Choice } from '../shared/singleSelect';
import { MEAN_HEAD, type AttentionSelection } from './selection';

export const headPickerStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 10px;
    align-items: end;
    margin-bottom: 6px;
  }
  .controls label {
    display: flex;
    flex-direction: column;
    gap: 2px;
    font-size: 0.92em;
  }
  .controls vscode-single-select {
    width: 7.5em;
  }
  .controls #direction {
    width: 13em;
  }
`;

const DIRECTIONS: Choice[] = [
  ['all', 'all'],
  ['query-to-doc', 'query attends to passage'],
  ['doc-to-query', 'passage attends to query'],
];
const LINE_MODES: Choice[] = [
  ['lines', 'lines'],
  ['heatmap', 'heatmap'],
];

/** The head view's pickers: layer, head (or the mean of the layer's heads), direction, lines or heatmap. */
class AttentionHeadPicker extends RankLensPart {
  @property({ attribute: false }) numLayers = 0;
  @property({ attribute: false }) numHeads = 0;
  @property({ attribute: false }) selection!: AttentionSelection;

  override render() {
    const s = this.selection;
    const select = (change: Partial<AttentionSelection>) => this.emit('rl-select', change);
    const layers = Array.from({ length: this.numLayers }, (_, l): Choice => [String(l), String(l + 1)]);
    const heads: Choice[] = [
      [String(MEAN_HEAD), 'mean'],
      ...Array.from({ length: this.numHeads }, (_, h): Choice => [String(h), String(h + 1)]),
    ];
    return html`
      <div class="controls">
        <label
          >Layer ${singleSelect('layer', String(s.layer), layers, (v) => select({ layer: Number(v) }))}</label
        >
        <label>Head ${singleSelect('head', String(s.head), heads, (v) => select({ head: Number(v) }))}</label>
        <label
          >Direction
          ${singleSelect('direction', s.direction, DIRECTIONS, (v) => select({ direction: v as Direction }))}</label
        >
        <label
          >Show ${singleSelect('line-mode', s.lineMode, LINE_MODES, (v) => select({ lineMode: v }))}</label
        >
      </div>
    `;
  }
}

customElements.define('rl-attention-head-picker', AttentionHeadPicker);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-head-picker': AttentionHeadPicker;
  }
}
