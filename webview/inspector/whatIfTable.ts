import { css, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { InspectedPair, RankInfo, WhatIfResult } from '../../src/protocol/inspector';
import { RankLensPart } from '../shared/part';

export const whatIfTableStyles = css`
  table {
    margin-top: 8px;
  }
  tr.chosen td {
    background: var(--vscode-list-inactiveSelectionBackground, rgba(128, 128, 128, 0.2));
  }
`;

type Rank = { rank: number; of: number } | undefined;
const rankOf = (r: Rank, none = '—') => (r ? `${r.rank} of ${r.of}` : none);

/**
 * The what-ifs so far beside the original: score, change, and rank (this pair changed, or every
 * candidate). A row is a button that shows its attention beside the original (`rl-choose`); a row that is one of
 * Table 1's settings offers to run that setting over the query's split (`rl-over-split`).
 */
class WhatIfTable extends RankLensPart {
  @property({ attribute: false }) pair!: InspectedPair;
  @property({ attribute: false }) rank!: RankInfo;
  @property({ attribute: false }) results: WhatIfResult[] = [];
  /** The row drawn beside the original (0-based), or -1. */
  @property({ attribute: false }) chosen = -1;

  override render() {
    const p = this.pair;
    if (this.results.length === 0) return html``;
    const r = this.rank.rank;
    const choose = (k: number) => this.emit('rl-choose', k);
    return html`
      <table id="what-ifs">
        <thead>
          <tr>
            <th>#</th>
            <th>what if</th>
            <th>score</th>
            <th>Δ score</th>
            <th title="rank if only this pair changes; the other candidates keep their scores">
              rank (this pair changed)
            </th>
            <th title="rank when every candidate gets the same change">rank (all candidates changed)</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>0</td>
            <td>original</td>
            <td class="num">${p.score.toFixed(4)}</td>
            <td class="num">—</td>
            <td class="num">${rankOf(r)}</td>
            <td class="num">${rankOf(r)}</td>
          </tr>
          ${this.results.map(
            (w, k) =>
              html`<tr
                class=${k === this.chosen ? 'chosen' : ''}
                tabindex="0"
                @click=${() => choose(k)}
                @keydown=${(e: KeyboardEvent) => {
                  // A key on the row's own link is the link's.
                  if (e.target !== e.currentTarget) return;
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    choose(k);
                  }
                }}
              >
                <td>${k + 1}</td>
                <td>
                  ${w.label}
                  ${
                    w.overSplit
                      ? html`<br /><a
                            href="#"
                            class="over-split"
                            title=${`${w.overSplit}: this setting over the query's split`}
                            @click=${(e: Event) => {
                              e.preventDefault();
                              e.stopPropagation();
                              this.emit('rl-over-split', w.id);
                            }}
                            >run over the split</a
                          >`
                      : nothing
                  }
                </td>
                <td class="num">${w.score.toFixed(4)}</td>
                <td class="num">${(w.score - p.score >= 0 ? '+' : '') + (w.score - p.score).toFixed(4)}</td>
                <td class="num rank">${rankOf(w.rank)}</td>
                <td class="num">${rankOf(w.rankAllChanged, '— (picked tokens are this pair’s)')}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <div class="controls">
        <vscode-button secondary id="undo" @click=${() => this.emit('rl-undo', undefined)}
          >Undo last</vscode-button
        >
        <vscode-button secondary @click=${() => this.emit('rl-clear', undefined)}>Clear</vscode-button>
      </div>
    `;
  }
}

customElements.define('rl-what-if-table', WhatIfTable);

declare global {
  interface HTMLElementTagNameMap {
    'rl-what-if-table': WhatIfTable;
  }
}
