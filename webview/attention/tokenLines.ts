import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { ViewToken } from '../../src/protocol/attention';
import { toRgb, type Rgb } from '../shared/attentionCanvas';
import { RankLensPart } from '../shared/part';
import { moveFocusInGroup } from '../shared/roving';
import { chartColors } from '../shared/theme';
import { weight, type AttentionBlock, type Hovered } from './selection';

/** Lines drawn per attending token when none is hovered. */
export const TOP_LINKS = 6;

export const tokenLinesStyles = css`
  .lines {
    display: grid;
    /* Tokens keep their full width (readable at the editor font size); the lines take what is left. */
    grid-template-columns: max-content minmax(36px, 1fr) max-content;
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size);
  }
  .col {
    display: flex;
    flex-direction: column;
  }
  .col.right {
    align-items: flex-start;
  }
  .col.left {
    align-items: flex-end;
  }
  .tok {
    height: 1.5em;
    line-height: 1.5em;
    padding: 0 4px;
    white-space: nowrap;
    border-radius: 2px;
    cursor: default;
  }
  .tok.special {
    font-weight: 700;
    color: var(--vscode-charts-orange, var(--vscode-foreground));
  }
  .tok.period {
    font-weight: 700;
    color: var(--vscode-charts-purple, var(--vscode-foreground));
    text-decoration: underline;
  }
  #lines {
    width: 100%;
  }
`;

function tokenClass(t: ViewToken): string {
  if (t.kind === 'cls' || t.kind === 'sep') return 'tok special';
  if (t.kind === 'period') return 'tok period';
  return `tok ${t.segment === 0 ? 'q' : 'd'}`;
}

/**
 * Attending tokens on the left, attended tokens on the right, lines between them: each row's strongest
 * links, or every link of the token in focus (hover, or arrow keys inside a column: `rl-hover`), whose
 * partners light up by weight.
 */
class AttentionTokenLines extends RankLensPart {
  @property({ attribute: false }) tokens: readonly ViewToken[] = [];
  @property({ attribute: false }) rows: number[] = [];
  @property({ attribute: false }) cols: number[] = [];
  @property({ attribute: false }) block!: AttentionBlock;
  @property({ attribute: false }) hovered: Hovered | undefined;
  @property({ attribute: false }) width = 0;
  /** Whether token rows carry a hover highlight to clear. */
  private highlighted = false;

  override render() {
    return html`<div class="lines">
      <div class="col left">${this.column(this.rows, 'left')}</div>
      <canvas id="lines" aria-hidden="true"></canvas>
      <div class="col right">${this.column(this.cols, 'right')}</div>
    </div>`;
  }

  /** Each column is one Tab stop; the arrow keys move through its tokens (focus shows a token's links). */
  private column(positions: number[], side: Hovered['side']) {
    const hover = (h: Hovered | undefined) => this.emit('rl-hover', h);
    return positions.map((i, k) => {
      const tok = this.tokens[i];
      return html`<div
        class=${tokenClass(tok)}
        data-position=${i}
        tabindex=${k === 0 ? '0' : '-1'}
        @keydown=${(e: KeyboardEvent) => moveFocusInGroup(e, '.tok')}
        title="${tok.text} (position ${i}, ${tok.kind})"
        @mouseenter=${() => hover({ side, position: i })}
        @focus=${() => hover({ side, position: i })}
        @mouseleave=${() => hover(undefined)}
        @blur=${() => hover(undefined)}
      >
        ${tok.text}
      </div>`;
    });
  }

  override updated(): void {
    const canvas = this.querySelector<HTMLCanvasElement>('#lines');
    const first = this.querySelector<HTMLElement>('.col .tok');
    if (!canvas || !first) return;
    const { rows, cols } = this;
    const accent = toRgb(chartColors().accent);
    const rowHeight = first.offsetHeight || 18;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 60;
    const height = Math.max(rows.length, cols.length) * rowHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 1.5;
    const rowIndex = new Map(rows.map((i, k) => [i, k]));
    const colIndex = new Map(cols.map((j, k) => [j, k]));
    const line = (i: number, j: number, alpha: number) => {
      const y0 = ((rowIndex.get(i) ?? 0) + 0.5) * rowHeight;
      const y1 = ((colIndex.get(j) ?? 0) + 0.5) * rowHeight;
      ctx.strokeStyle = `rgba(${accent.join(',')},${Math.min(1, alpha).toFixed(3)})`;
      ctx.beginPath();
      ctx.moveTo(0, y0);
      ctx.lineTo(width, y1);
      ctx.stroke();
    };
    this.drawLinks(line);
    this.highlightPartners(accent);
  }

  private drawLinks(line: (i: number, j: number, alpha: number) => void): void {
    const { rows, cols, block } = this;
    const h = this.hovered;
    // Opacity relative to the strongest link of the token in focus, so long passages (where every weight
    // is small) still show their pattern.
    const strongest = (links: number[]) => Math.max(1e-12, ...links);
    if (h?.side === 'left') {
      const w = cols.map((j) => weight(block, h.position, j));
      const max = strongest(w);
      cols.forEach((j, k) => line(h.position, j, w[k] / max));
    } else if (h?.side === 'right') {
      const w = rows.map((i) => weight(block, i, h.position));
      const max = strongest(w);
      rows.forEach((i, k) => line(i, h.position, w[k] / max));
    } else {
      // Each attending token's TOP_LINKS strongest links: bounded work at 256 tokens, and the pattern
      // of every row visible whatever its spread.
      const topJ = new Int32Array(TOP_LINKS);
      const topW = new Float64Array(TOP_LINKS);
      for (const i of rows) {
        // Insertion into a TOP_LINKS-long list: no allocation per row, O(n * TOP_LINKS).
        topW.fill(-1);
        let max = 1e-12;
        for (const j of cols) {
          const v = weight(block, i, j);
          if (v > max) max = v;
          if (v <= topW[TOP_LINKS - 1]) continue;
          let k = TOP_LINKS - 1;
          while (k > 0 && topW[k - 1] < v) {
            topW[k] = topW[k - 1];
            topJ[k] = topJ[k - 1];
            k--;
          }
          topW[k] = v;
          topJ[k] = j;
        }
        for (let k = 0; k < TOP_LINKS; k++)
          if (topW[k] / max >= 0.05) line(i, topJ[k], (0.8 * topW[k]) / max);
      }
    }
  }

  /** The hovered token's partners light up by weight (CSSOM, allowed by the CSP). */
  private highlightPartners(accent: Rgb): void {
    const h = this.hovered;
    if (!h && !this.highlighted) return;
    this.highlighted = h !== undefined;
    for (const el of this.querySelectorAll<HTMLElement>('.col .tok')) {
      const position = Number(el.dataset.position);
      const isRight = el.parentElement?.classList.contains('right');
      let w = 0;
      if (h?.side === 'left' && isRight) w = weight(this.block, h.position, position);
      if (h?.side === 'right' && !isRight) w = weight(this.block, position, h.position);
      if (w > 0)
        el.style.setProperty(
          'background-color',
          `rgba(${accent.join(',')},${Math.min(0.85, Math.sqrt(w)).toFixed(3)})`,
        );
      else el.style.removeProperty('background-color');
    }
  }
}

customElements.define('rl-attention-lines', AttentionTokenLines);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-lines': AttentionTokenLines;
  }
}
