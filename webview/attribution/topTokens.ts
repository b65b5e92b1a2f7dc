import { css, html } from 'lit';
import { property } from 'lit/decorators.js';
import type { AttributedToken } from '../../src/core/attribution';
import { absoluteMass, isTextToken, textScales } from '../shared/attributionText';
import { cssom } from '../shared/cssom';
import { RankLensPart } from '../shared/part';
import { formatValue, spanBackground } from './colors';

export const topTokensStyles = css`
  .explain {
    opacity: 0.8;
    font-size: 0.9em;
    max-width: 60em;
  }
  .swatch {
    display: inline-block;
    width: 0.9em;
    height: 0.9em;
    border-radius: 2px;
    vertical-align: -0.1em;
    margin-right: 6px;
    border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
  }
`;

/** The ten passage tokens with the largest |attribution|, each with its share of the attribution mass. */
class TopTokens extends RankLensPart {
  @property({ attribute: false }) tokens: readonly AttributedToken[] = [];
  @property({ attribute: false }) values: readonly number[] = [];
  /** The passage's colour scale is shared with the query's (the swatches follow the texts). */
  @property({ attribute: false }) oneScale = false;

  override render() {
    const { tokens, values } = this;
    const passageLimit = textScales(tokens, values, this.oneScale).passage;
    const mass = absoluteMass(values);
    const top = tokens
      .map((t, i) => ({ t, v: values[i] }))
      .filter(({ t }) => t.segment === 1 && isTextToken(t))
      .sort((a, b) => Math.abs(b.v) - Math.abs(a.v))
      .slice(0, 10);
    return html`
      <h3>Top 10 passage tokens by |attribution|</h3>
      <table id="top">
        <thead>
          <tr>
            <th>#</th>
            <th>token</th>
            <th>position in passage</th>
            <th>attribution</th>
            <th title="|attribution| / Σ|attribution| over all tokens at this layer">share of Σ|a|</th>
          </tr>
        </thead>
        <tbody>
          ${top.map(
            ({ t, v: value }, rank) =>
              html`<tr>
                <td>${rank + 1}</td>
                <td>
                  <span
                    class="swatch"
                    ${cssom({ 'background-color': spanBackground(value, passageLimit) })}
                  ></span
                  ><code>${t.text}</code>
                </td>
                <td>chars ${t.start}–${t.end}</td>
                <td class="num">${formatValue(value, 5)}</td>
                <td class="num">${mass > 0 ? `${((100 * Math.abs(value)) / mass).toFixed(1)}%` : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="explain">
        Share of Σ|a|: this token's |attribution| as a part of the sum of |attribution| over every token at
        this layer — how much of the total attribution mass it carries (signed shares of Σ a are not shown: Σ
        a can be near 0 when positive and negative attributions cancel, which makes such shares meaningless).
      </p>
    `;
  }
}

customElements.define('rl-top-tokens', TopTokens);

declare global {
  interface HTMLElementTagNameMap {
    'rl-top-tokens': TopTokens;
  }
}
