import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { ViewToken } from '../../src/protocol/attention';
import { drawHeatmap, toRgb } from '../shared/attentionCanvas';
import { cssom } from '../shared/cssom';
import { RankLensPart } from '../shared/part';
import { chartColors, themeColor } from '../shared/theme';
import { weight, type AttentionBlock } from './selection';

export const headHeatmapStyles = css`
  .heat {
    display: grid;
    grid-template-columns: 8px 1fr;
    grid-template-rows: 8px auto;
    gap: 2px;
  }
  .heat canvas {
    width: 100%;
    height: 100%;
    image-rendering: pixelated;
  }
  #heat {
    aspect-ratio: var(--aspect, 1);
  }
`;

/**
 * One head's attention as a heatmap (attending rows by attended columns), with strips along both edges
 * marking [CLS]/[SEP] and periods; the cell under the pointer is described in words (`rl-point`).
 */
class AttentionHeadHeatmap extends RankLensPart {
  @property({ attribute: false }) tokens: readonly ViewToken[] = [];
  @property({ attribute: false }) rows: number[] = [];
  @property({ attribute: false }) cols: number[] = [];
  @property({ attribute: false }) block!: AttentionBlock;
  @property({ attribute: false }) width = 0;

  override render() {
    const { rows, cols } = this;
    return html`<div class="heat">
      <span></span><canvas id="heat-cols" aria-hidden="true"></canvas>
      <canvas id="heat-rows" aria-hidden="true"></canvas>
      <canvas
        id="heat"
        role="img"
        aria-label="Heatmap: ${rows.length} attending tokens by ${cols.length} attended tokens"
        ${cssom({ '--aspect': `${cols.length} / ${rows.length}` })}
        @mousemove=${(e: MouseEvent) => this.point(e)}
      ></canvas>
    </div>`;
  }

  private point(e: MouseEvent): void {
    const { rows, cols, tokens } = this;
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const c = cols[Math.floor(((e.clientX - rect.left) / rect.width) * cols.length)];
    const r = rows[Math.floor(((e.clientY - rect.top) / rect.height) * rows.length)];
    if (c === undefined || r === undefined) return;
    const v = weight(this.block, r, c);
    this.emit(
      'rl-point',
      `“${tokens[r].text}” (${r}) → “${tokens[c].text}” (${c}): ${(100 * v).toFixed(2)}%`,
    );
  }

  override updated(): void {
    const { rows, cols, block } = this;
    const heat = this.querySelector<HTMLCanvasElement>('#heat');
    if (heat) drawHeatmap(heat, block.data, block.offset, block.n, rows, cols, toRgb(chartColors().accent));
    const special = toRgb(themeColor('charts-orange', '#d18616'));
    const period = toRgb(themeColor('charts-purple', '#b180d7'));
    const strip = (canvas: HTMLCanvasElement | null, positions: number[], vertical: boolean) => {
      if (!canvas) return;
      canvas.width = vertical ? 1 : positions.length;
      canvas.height = vertical ? positions.length : 1;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      positions.forEach((i, k) => {
        const kind = this.tokens[i].kind;
        const rgb = kind === 'cls' || kind === 'sep' ? special : kind === 'period' ? period : undefined;
        if (!rgb) return;
        ctx.fillStyle = `rgb(${rgb.join(',')})`;
        if (vertical) ctx.fillRect(0, k, 1, 1);
        else ctx.fillRect(k, 0, 1, 1);
      });
    };
    strip(this.querySelector<HTMLCanvasElement>('#heat-cols'), cols, false);
    strip(this.querySelector<HTMLCanvasElement>('#heat-rows'), rows, true);
  }
}

customElements.define('rl-attention-heatmap', AttentionHeadHeatmap);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-heatmap': AttentionHeadHeatmap;
  }
}
