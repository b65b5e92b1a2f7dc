import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import type { AttentionTensor } from '../../src/protocol/attention';
import type { InspectedPair, WhatIfResult } from '../../src/protocol/inspector';
import { drawHeatmap, headOffset, layerMean, toRgb, type Rgb } from '../shared/attentionCanvas';
import { RankLensPart } from '../shared/part';
import { singleSelect, type Choice } from '../shared/singleSelect';
import { chartColors } from '../shared/theme';

export const attentionMapsStyles = css`
  .maps {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
    gap: 12px;
    max-width: 760px;
  }
  .maps canvas {
    width: 100%;
    aspect-ratio: 1;
    image-rendering: pixelated;
    border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
  }
`;

/** The layer and head the maps show (head -1: the mean of the layer's heads). */
export interface MapChoice {
  mapLayer?: number;
  mapHead?: number;
}

/**
 * The pair's attention at a chosen layer and head, beside the same under the chosen what-if once the host
 * has sent its map; `rl-map` asks for another layer or head.
 */
class AttentionMaps extends RankLensPart {
  @property({ attribute: false }) pair!: InspectedPair;
  @property({ attribute: false }) whatIf: WhatIfResult | undefined;
  /** The what-if's 1-based row in the table. */
  @property({ attribute: false }) whatIfNumber = 0;
  @property({ attribute: false }) whatIfMap: { id: number; attention: AttentionTensor } | undefined;
  @property({ attribute: false }) mapError = '';
  @property({ attribute: false }) layer = 0;
  @property({ attribute: false }) head = -1;

  override render() {
    const p = this.pair;
    const chosen = this.whatIf;
    const choose = (change: MapChoice) => this.emit('rl-map', change);
    const heads: Choice[] = [
      ['-1', 'mean of heads'],
      ...Array.from({ length: p.numHeads }, (_, h): Choice => [String(h), `head ${h + 1}`]),
    ];
    const layers = Array.from({ length: p.numLayers }, (_, l): Choice => [String(l), `layer ${l + 1}`]);
    return html`
      <h3>Attention${chosen ? ` — original beside what-if ${this.whatIfNumber}` : ''}</h3>
      <div class="controls">
        <label
          >Layer
          ${singleSelect('map-layer', String(this.layer), layers, (v) => choose({ mapLayer: Number(v) }))}</label
        >
        <label
          >Head
          ${singleSelect('map-head', String(this.head), heads, (v) => choose({ mapHead: Number(v) }))}</label
        >
        <span class="hint"
          >rows attend to columns; [CLS] top-left, then the query, [SEP], the passage, [SEP]</span
        >
      </div>
      <div class="maps">
        <figure>
          <canvas id="map-original" role="img" aria-label="Original attention"></canvas>
          <figcaption>original (score ${p.score.toFixed(4)})</figcaption>
        </figure>
        ${
          chosen
            ? html`<figure>
                <canvas id="map-what-if" role="img" aria-label="Attention under the what-if"></canvas>
                <figcaption>
                  ${chosen.label} (score
                  ${chosen.score.toFixed(4)})${
                    this.mapError
                      ? html` · <span class="error">${this.mapError}</span>`
                      : this.whatIfMap?.id !== chosen.id
                        ? html` · <span class="busy">computing its attention…</span>`
                        : nothing
                  }
                </figcaption>
              </figure>`
            : html`<p class="hint">Apply a what-if to see its attention here beside the original.</p>`
        }
      </div>
    `;
  }

  override updated(): void {
    const rgb = toRgb(chartColors().accent);
    this.draw('#map-original', this.pair.attention, rgb);
    const map = this.whatIfMap;
    if (this.whatIf && map?.id === this.whatIf.id) this.draw('#map-what-if', map.attention, rgb);
  }

  private draw(selector: string, t: AttentionTensor, rgb: Rgb): void {
    const canvas = this.querySelector<HTMLCanvasElement>(selector);
    if (!canvas) return;
    const n = t.seqLength;
    const all = Array.from({ length: n }, (_, i) => i);
    const layer = Math.min(this.layer, t.numLayers - 1);
    if (this.head < 0) drawHeatmap(canvas, layerMean(t, layer), 0, n, all, all, rgb);
    else drawHeatmap(canvas, t.data, headOffset(t, layer, this.head), n, all, all, rgb);
  }
}

customElements.define('rl-attention-maps', AttentionMaps);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-maps': AttentionMaps;
  }
}
