import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import * as echarts from 'echarts/core';
import type { AttentionPair } from '../../src/protocol/attention';
import { SHARE_KINDS, type ShareKind } from '../shared/attentionCanvas';
import { RankLensPart } from '../shared/part';
import { KIND_LABELS, sharesChartOption } from './sharesChart';

export const summaryViewStyles = css`
  #summary {
    width: 100%;
    height: 300px;
  }
  table {
    font-size: 0.9em;
  }
  th,
  td {
    padding: 1px 8px 1px 0;
    text-align: right;
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
`;

/**
 * Per layer, the share of attention each kind of token receives (Zhan et al., Figure 1): a chart and a
 * table, beside the dataset mean when an attention analysis has been run.
 */
class AttentionSummaryView extends RankLensPart {
  @property({ attribute: false }) shares!: Record<ShareKind, number[]>;
  @property({ attribute: false }) datasetMean: AttentionPair['datasetMean'];
  private chart: echarts.ECharts | undefined;

  override render() {
    const shares = this.shares;
    const mean = this.datasetMean?.shares;
    return html`
      <div class="hint">
        Per layer: of the attention every token gives out, the share that goes to each kind of token (mean
        over heads and tokens; Zhan et al., Figure
        1)${mean ? html`, dashed: the dataset mean from <code>${this.datasetMean?.source}</code>` : '; run the attention analysis to compare with the dataset mean'}.
      </div>
      <div id="summary"></div>
      <table id="summary-table">
        <thead>
          <tr>
            <th>layer</th>
            ${SHARE_KINDS.map((k) => html`<th>${KIND_LABELS[k]}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${shares.cls.map(
            (_, l) =>
              html`<tr>
                <td>${l + 1}</td>
                ${SHARE_KINDS.map((k) => html`<td>${(100 * shares[k][l]).toFixed(1)}%${mean?.[k]?.[l] !== undefined ? html` <span class="hint">(${(100 * mean[k][l]).toFixed(1)})</span>` : nothing}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  override updated(): void {
    const el = this.querySelector<HTMLDivElement>('#summary');
    if (!el) return;
    if (!this.chart || this.chart.getDom() !== el) {
      this.chart?.dispose();
      this.chart = echarts.init(el, undefined, { renderer: 'canvas' });
      new ResizeObserver(() => this.chart?.resize()).observe(el);
    }
    this.chart.setOption(sharesChartOption(this.shares, this.datasetMean?.shares), true);
  }
}

customElements.define('rl-attention-summary', AttentionSummaryView);

declare global {
  interface HTMLElementTagNameMap {
    'rl-attention-summary': AttentionSummaryView;
  }
}
