import { css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { AttentionPair } from '../../src/protocol/attention';
import { directionPositions } from '../shared/attentionCanvas';
import { cssom } from '../shared/cssom';
import { RankLensPart } from '../shared/part';
import { opaqueColor, themeColor } from '../shared/theme';
import { headHeatmapStyles } from './headHeatmap';
import { headPickerStyles } from './headPicker';
import {
  selectedBlock,
  weight,
  type AttentionBlock,
  type AttentionSelection,
  type Hovered,
} from './selection';
import { TOP_LINKS, tokenLinesStyles } from './tokenLines';
import './headHeatmap';
import './headPicker';
import './tokenLines';

export const headViewStyles = [
  headPickerStyles,
  tokenLinesStyles,
  headHeatmapStyles,
  css`
    .legend-marks {
      display: flex;
      gap: 10px;
      flex-wrap: wrap;
      font-size: 0.85em;
      margin: 4px 0;
    }
    .mark {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 2px;
      margin-right: 4px;
      vertical-align: -1px;
    }
  `,
];

/**
 * One head (or a layer's mean) of the pair: the pickers, a legend of the marked tokens, a readout of the
 * token in focus, and the attention drawn as lines between two token columns or as a heatmap.
 */
class AttentionHeadView extends RankLensPart {
  @property({ attribute: false }) pair!: AttentionPair;
  @property({ attribute: false }) selection!: AttentionSelection;
  @property({ attribute: false }) hovered: Hovered | undefined;
  @property({ attribute: false }) width = 0;
  /** What the heatmap's cell under the pointer holds, shown in the readout until the view changes. */
  @state() private pointed: string | undefined;
  private block: AttentionBlock | undefined;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('pair') || changed.has('selection')) {
      const { layer, head } = this.selection;
      const old = changed.get('selection') as AttentionSelection | undefined;
      if (!this.block || changed.has('pair') || old?.layer !== layer || old.head !== head)
        this.block = selectedBlock(this.pair.attention, layer, head);
    }
    if ([...changed.keys()].some((key) => key !== 'pointed')) this.pointed = undefined;
  }

  override render() {
    const p = this.pair;
    const s = this.selection;
    const block = this.block;
    if (!block) return html``;
    const { rows, cols } = directionPositions(p.tokens, s.direction);
    return html`
      <rl-attention-head-picker
        .numLayers=${p.attention.numLayers}
        .numHeads=${p.attention.numHeads}
        .selection=${s}
        @rl-select=${(e: CustomEvent<Partial<AttentionSelection>>) => this.emit('rl-select', e.detail)}
      ></rl-attention-head-picker>
      <div class="legend-marks">
        <span
          ><span
            class="mark"
            ${cssom({ background: opaqueColor(themeColor('charts-orange', '#d18616')) })}
          ></span
          >[CLS] / [SEP]</span
        >
        <span
          ><span
            class="mark"
            ${cssom({ background: opaqueColor(themeColor('charts-purple', '#b180d7')) })}
          ></span
          >periods</span
        >
      </div>
      <div class="readout" id="readout" aria-live="polite">${this.pointed ?? this.readout(rows, cols)}</div>
      ${
        s.lineMode === 'lines'
          ? html`<rl-attention-lines
              .tokens=${p.tokens}
              .rows=${rows}
              .cols=${cols}
              .block=${block}
              .hovered=${this.hovered}
              .width=${this.width}
              @rl-hover=${(e: CustomEvent<Hovered | undefined>) => this.emit('rl-hover', e.detail)}
            ></rl-attention-lines>`
          : html`<rl-attention-heatmap
              .tokens=${p.tokens}
              .rows=${rows}
              .cols=${cols}
              .block=${block}
              .width=${this.width}
              @rl-point=${(e: CustomEvent<string>) => (this.pointed = e.detail)}
            ></rl-attention-heatmap>`
      }
    `;
  }

  private readout(rows: number[], cols: number[]): string {
    const h = this.hovered;
    const p = this.pair;
    const block = this.block;
    if (!h || !block)
      return `Lines: each token’s ${TOP_LINKS} strongest links, darker = stronger relative to its strongest. Hover a token, or Tab into a column and move with ↑/↓: left shows where all its attention goes, right where a token’s attention comes from.`;
    const others = h.side === 'left' ? cols : rows;
    const weights = others.map((o) => ({
      o,
      w: h.side === 'left' ? weight(block, h.position, o) : weight(block, o, h.position),
    }));
    const top = weights.sort((a, b) => b.w - a.w).slice(0, 3);
    const name = p.tokens[h.position].text;
    const list = top.map(({ o, w }) => `${p.tokens[o].text} ${(100 * w).toFixed(1)}%`).join(', ');
    return h.side === 'left'
      ? `“${name}” attends most to ${list}`
      : `“${name}” gets most attention from ${list}`;
  }
}

customElements.define('rl-attention-head', AttentionHeadView);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-head': AttentionHeadView;
  }
}
