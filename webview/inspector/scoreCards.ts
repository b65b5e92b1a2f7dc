import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { InspectedPair, RankInfo } from '../../src/protocol/inspector';
import { RankLensPart } from '../shared/part';

export const scoreCardsStyles = css`
  .cards {
    grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
    margin: 10px 0;
  }
`;

function rankText(r: RankInfo): string {
  if (r.status === 'done' && r.rank) return `${r.rank.rank} of ${r.rank.of}`;
  if (r.status === 'computing') return 'scoring candidates…';
  if (r.status === 'failed') return 'failed';
  return '—';
}

/** The pair's score, its probability, and its rank among the run's candidates (as it is computed). */
class ScoreCards extends RankLensPart {
  @property({ attribute: false }) pair!: InspectedPair;
  @property({ attribute: false }) rank!: RankInfo;

  override render() {
    const p = this.pair;
    const r = this.rank;
    const probability = p.numLabels === 2 ? p.score : p.sigmoid;
    return html`<div class="cards">
      <div class="card">
        <div class="value" id="score">${p.score.toFixed(4)}</div>
        <div class="name">${p.numLabels === 2 ? 'score = P(relevant)' : 'score (logit)'}</div>
      </div>
      <div class="card">
        <div class="value" id="probability">${probability !== undefined ? probability.toFixed(4) : '—'}</div>
        <div class="name">${p.numLabels === 2 ? 'probability (softmax of 2 logits)' : 'sigmoid(score)'}</div>
      </div>
      <div class="card">
        <div class="value" id="rank">${rankText(r)}</div>
        <div class="name">
          ${
            r.status === 'done' || r.status === 'computing'
              ? `rank by the model among ${r.run}'s candidates${r.runRank !== undefined ? ` (rank ${r.runRank} in the run)` : ''}`
              : (r.message ?? 'rank among candidates')
          }
        </div>
      </div>
    </div>`;
  }
}

customElements.define('rl-score-cards', ScoreCards);

declare global {
  interface HTMLElementTagNameMap {
    'rl-score-cards': ScoreCards;
  }
}
