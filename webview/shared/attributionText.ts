import { html, nothing, type TemplateResult } from 'lit';
import type { TokenKind } from '../../src/core/text/types';
import { formatValue, scaleStops, spanBackground } from '../attribution/colors';
import { cssom } from './cssom';
import { chartColors } from './theme';
import { moveFocusInGroup } from './roving';

/** What a coloured text needs to know about a token (AttributedToken and EncodedToken both fit). */
export interface TextToken {
  readonly text: string;
  readonly kind: TokenKind;
  readonly segment: 0 | 1;
  readonly start: number;
  readonly end: number;
}

export const isTextToken = (t: TextToken): boolean =>
  t.start >= 0 && (t.kind === 'query' || t.kind === 'doc' || t.kind === 'period');

/** Largest |value| over the text tokens of one segment (or both): the end of that side's colour scale. */
export function scaleLimit(tokens: readonly TextToken[], values: ArrayLike<number>, segment?: 0 | 1): number {
  let limit = 0;
  tokens.forEach((t, i) => {
    if (isTextToken(t) && (segment === undefined || t.segment === segment))
      limit = Math.max(limit, Math.abs(values[i]));
  });
  return limit;
}

/**
 * The ends of the colour scales of the query and the passage: each text on its own scale, or both on one
 * (`both`, the largest |value| of either) when they are compared.
 */
export function textScales(
  tokens: readonly TextToken[],
  values: ArrayLike<number>,
  oneScale: boolean,
): { both: number; query: number; passage: number } {
  const both = scaleLimit(tokens, values);
  return {
    both,
    query: oneScale ? both : scaleLimit(tokens, values, 0),
    passage: oneScale ? both : scaleLimit(tokens, values, 1),
  };
}

export interface ColouredTextOptions {
  /** Positions drawn as selected (e.g. picked for a mask). */
  readonly selected?: ReadonlySet<number>;
  /**
   * Makes tokens buttons: click or Enter/Space toggles them. The text is one Tab stop; the arrow keys,
   * Home and End move from token to token.
   */
  readonly onToggle?: (position: number) => void;
}

/**
 * The original text with each token's character span coloured by its value on a ±limit scale; the gaps
 * between tokens stay plain, so the text reads as written. Colours are set through the CSSOM (cssom()),
 * which the webviews' Content-Security-Policy allows, unlike style attributes in markup.
 */
export function colouredText(
  text: string,
  tokens: readonly TextToken[],
  values: ArrayLike<number>,
  segment: 0 | 1,
  limit: number,
  options: ColouredTextOptions = {},
): { spans: TemplateResult[]; end: number } {
  const parts: TemplateResult[] = [];
  let at = 0;
  let first = true;
  tokens.forEach((t, i) => {
    if (t.segment !== segment || !isTextToken(t) || t.start < at) return;
    if (t.start > at) parts.push(html`${text.slice(at, t.start)}`);
    const v = values[i];
    const selected = options.selected?.has(i) ?? false;
    const toggle = options.onToggle;
    parts.push(
      html`<span
        class="tok${selected ? ' selected' : ''}${t.kind === 'period' ? ' period' : ''}"
        data-position=${i}
        ${cssom({ 'background-color': spanBackground(v, limit) })}
        title="${t.text} (position ${i}): ${formatValue(v, 6)}"
        role=${toggle ? 'button' : nothing}
        aria-pressed=${toggle ? String(selected) : nothing}
        tabindex=${toggle ? (first ? '0' : '-1') : nothing}
        @click=${toggle ? () => toggle(i) : nothing}
        @keydown=${
          toggle
            ? (e: KeyboardEvent) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  toggle(i);
                } else moveFocusInGroup(e, '.tok');
              }
            : nothing
        }
        >${text.slice(t.start, t.end)}</span
      >`,
    );
    at = t.end;
    first = false;
  });
  return { spans: parts, end: at };
}

/** How many of the drawn token spans are visibly coloured (alpha of the background at least 0.1). */
export function visiblyColoured(root: ParentNode): { spans: number; coloured: number } {
  const spans = [...root.querySelectorAll<HTMLElement>('.tok')];
  const coloured = spans.filter((s) => {
    const m = /rgba?\(([^)]+)\)/.exec(getComputedStyle(s).backgroundColor);
    const parts = m ? m[1].split(',').map((x) => Number(x.trim())) : [];
    return parts.length === 4 ? parts[3] >= 0.1 : parts.length === 3;
  }).length;
  return { spans: spans.length, coloured };
}

/**
 * Why a side's attributions can be exactly zero at a layer, in plain words, or undefined if they are not
 * zero by construction. L is the number of transformer layers.
 */
export function zeroByConstruction(
  layer: number,
  numLayers: number,
  baseline: 'empty-query' | 'empty-document',
  side: 'query' | 'passage',
): string | undefined {
  if (layer === numLayers)
    return `At layer ${layer} (after the last layer) the classifier reads only the [CLS] vector, so every other token's attribution is exactly 0 by construction: all of F(x) − F(x′) sits on [CLS]. Pick a lower layer to see how the text contributes.`;
  if (layer === 0 && baseline === 'empty-query' && side === 'passage')
    return `At layer 0 (the embeddings) the empty-query baseline changes only the query tokens, so each passage token's embedding is the same in x and x′ and its attribution is exactly 0 by construction. Use the empty-document baseline, or a higher layer, to see the passage.`;
  if (layer === 0 && baseline === 'empty-document' && side === 'query')
    return `At layer 0 (the embeddings) the empty-document baseline changes only the passage tokens, so each query token's embedding is the same in x and x′ and its attribution is exactly 0 by construction. Use the empty-query baseline, or a higher layer, to see the query.`;
  return undefined;
}

/** Σ|a| over all positions: the attribution mass a token's share is taken of. */
export function absoluteMass(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.abs(values[i]);
  return sum;
}

/** A labelled colour-scale legend: which text it is for, and its ends (±limit). */
export function scaleLegend(name: string, limit: number): TemplateResult {
  const stops = scaleStops(chartColors().background);
  return html`<span class="scale"
    ><span class="scale-name">${name}:</span> <span>${limit > 0 ? formatValue(-limit, 3) : '0'}</span>
    <span class="bar" ${cssom({ background: `linear-gradient(to right, ${stops.join(', ')})` })}></span>
    <span>${limit > 0 ? `+${formatValue(limit, 3)}` : '0 (all zero)'}</span></span
  >`;
}
