import { css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { AttentionTensor } from '../../src/protocol/attention';
import { drawThumbnails, toRgb } from '../shared/attentionCanvas';
import { RankLensPart } from '../shared/part';
import { chartColors, themeColor } from '../shared/theme';
import type { AttentionSelection, Mode } from './selection';

export const modelViewStyles = css`
  #thumbs {
    width: 100%;
    image-rendering: pixelated;
    cursor: pointer;
  }
  .axis {
    display: flex;
    justify-content: space-between;
    font-size: 0.85em;
    opacity: 0.8;
  }
`;

type Cell = { layer: number; head: number };

const MOVES: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

/**
 * Every head of every layer as a thumbnail of its attention, one canvas: a pointer or the arrow keys move
 * the focused head, a click or Enter opens it (`rl-select` with the head view's mode).
 */
class AttentionModelView extends RankLensPart {
  @property({ attribute: false }) attention!: AttentionTensor;
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) head = 0;
  /** The view's width: the canvas is sized to it when drawn. */
  @property({ attribute: false }) width = 0;
  /** The head under the pointer, named in the readout until the selection changes. */
  @state() private pointed: Cell | undefined;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('layer') || changed.has('head') || changed.has('attention')) this.pointed = undefined;
  }

  override render() {
    const t = this.attention;
    return html`
      <div class="hint">
        Each square: one head's attention (rows attend to columns, [CLS] top-left). Click or press Enter to
        open it; arrow keys move.
      </div>
      <div class="axis"><span>head 1</span><span>head ${t.numHeads} →</span></div>
      <canvas
        id="thumbs"
        tabindex="0"
        role="img"
        aria-label="Attention of ${t.numLayers} layers by ${t.numHeads} heads; layer ${this.layer + 1}, head ${this.head + 1} focused"
        @click=${(e: MouseEvent) => this.openAt(e)}
        @mousemove=${(e: MouseEvent) => (this.pointed = this.cellAt(e) ?? this.pointed)}
        @keydown=${(e: KeyboardEvent) => this.key(e)}
      ></canvas>
      <div class="axis"><span>↑ layer 1</span><span>layer ${t.numLayers} ↓</span></div>
      <div class="readout" id="thumb-readout">${this.readout()}</div>
    `;
  }

  private readout(): string {
    const p = this.pointed;
    return p
      ? `Layer ${p.layer + 1}, head ${p.head + 1} — click to open`
      : `Layer ${this.layer + 1}, head ${this.head + 1}`;
  }

  private select(change: Partial<AttentionSelection> & { mode?: Mode }): void {
    this.emit('rl-select', change);
  }

  private cellAt(e: MouseEvent): Cell | undefined {
    const t = this.attention;
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const head = Math.floor(((e.clientX - rect.left) / rect.width) * t.numHeads);
    const layer = Math.floor(((e.clientY - rect.top) / rect.height) * t.numLayers);
    return head >= 0 && head < t.numHeads && layer >= 0 && layer < t.numLayers ? { layer, head } : undefined;
  }

  private openAt(e: MouseEvent): void {
    const cell = this.cellAt(e);
    if (cell) this.select({ mode: 'head', ...cell });
  }

  private key(e: KeyboardEvent): void {
    const t = this.attention;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.select({ mode: 'head' });
    } else if (MOVES[e.key]) {
      e.preventDefault();
      const [dl, dh] = MOVES[e.key];
      this.select({
        layer: Math.max(0, Math.min(t.numLayers - 1, this.layer + dl)),
        head: Math.max(0, Math.min(t.numHeads - 1, this.head + dh)),
      });
    }
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.size === 1 && changed.has('pointed')) return;
    const canvas = this.querySelector<HTMLCanvasElement>('#thumbs');
    if (!canvas) return;
    const t = this.attention;
    const width = canvas.clientWidth || 300;
    const gap = 2;
    const thumb = Math.max(8, Math.min(64, Math.floor((width - gap * (t.numHeads + 1)) / t.numHeads)));
    drawThumbnails(
      canvas,
      t,
      thumb,
      gap,
      toRgb(chartColors().accent),
      { layer: this.layer, head: Math.max(0, this.head) },
      toRgb(themeColor('focusBorder', '#007fd4')),
    );
  }
}

customElements.define('rl-attention-model', AttentionModelView);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-model': AttentionModelView;
  }
}
