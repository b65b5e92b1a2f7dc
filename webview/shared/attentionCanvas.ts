import type { AttentionTensor, ViewToken } from '../../src/protocol/attention';

/**
 * Attention drawn straight into canvas pixels (ImageData), so a BERT-base pair (12 x 12 heads, 256
 * tokens) redraws within a frame: no DOM node per cell, no chart library in the loop.
 */

export type Rgb = readonly [number, number, number];

/** A CSS colour (any syntax the browser knows, e.g. a --vscode-* value) as RGB. */
export function toRgb(color: string, fallback: Rgb = [55, 148, 255]): Rgb {
  const probe = document.createElement('span');
  probe.style.color = color;
  document.body.appendChild(probe);
  const computed = getComputedStyle(probe).color;
  probe.remove();
  const m = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/.exec(computed);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : fallback;
}

/** Offset of head (layer, head)'s n x n block in the tensor. */
export function headOffset(t: AttentionTensor, layer: number, head: number): number {
  return (layer * t.numHeads + head) * t.seqLength * t.seqLength;
}

/** The mean over heads of one layer, as an n x n block. */
export function layerMean(t: AttentionTensor, layer: number): Float32Array {
  const n = t.seqLength;
  const out = new Float32Array(n * n);
  for (let h = 0; h < t.numHeads; h++) {
    const at = headOffset(t, layer, h);
    for (let k = 0; k < n * n; k++) out[k] += t.data[at + k];
  }
  for (let k = 0; k < n * n; k++) out[k] /= t.numHeads;
  return out;
}

/**
 * Draws rows x cols of an n x n attention block (rows attend to cols) as a heatmap, each cell's alpha the
 * square root of its share of the block's largest value (attention is mostly tiny; the root keeps the
 * pattern visible). The canvas is sized to the cells; CSS scales it.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  block: Float32Array,
  blockOffset: number,
  n: number,
  rows: readonly number[],
  cols: readonly number[],
  rgb: Rgb,
): void {
  canvas.width = Math.max(1, cols.length);
  canvas.height = Math.max(1, rows.length);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let max = 0;
  for (const i of rows) for (const j of cols) max = Math.max(max, block[blockOffset + i * n + j]);
  const image = ctx.createImageData(canvas.width, canvas.height);
  const px = image.data;
  rows.forEach((i, r) => {
    cols.forEach((j, c) => {
      const v = max > 0 ? Math.sqrt(block[blockOffset + i * n + j] / max) : 0;
      const at = (r * canvas.width + c) * 4;
      px[at] = rgb[0];
      px[at + 1] = rgb[1];
      px[at + 2] = rgb[2];
      px[at + 3] = Math.round(255 * v);
    });
  });
  ctx.putImageData(image, 0, 0);
}

/**
 * The model view: every (layer, head) as a thumb x thumb thumbnail of its attention pattern on one canvas,
 * layers as rows (layer 1 at the top) and heads as columns. Each thumbnail pixel shows the largest value of
 * the block of cells it covers, so a sharp pattern (e.g. everything to [SEP]) survives the downsampling.
 */
export function drawThumbnails(
  canvas: HTMLCanvasElement,
  t: AttentionTensor,
  thumb: number,
  gap: number,
  rgb: Rgb,
  focus?: { layer: number; head: number },
  focusRgb?: Rgb,
): void {
  const n = t.seqLength;
  const width = t.numHeads * (thumb + gap) + gap;
  const height = t.numLayers * (thumb + gap) + gap;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(width, height);
  const px = image.data;
  const scale = n / thumb;
  for (let l = 0; l < t.numLayers; l++) {
    for (let h = 0; h < t.numHeads; h++) {
      const at = headOffset(t, l, h);
      let max = 0;
      for (let k = 0; k < n * n; k++) if (t.data[at + k] > max) max = t.data[at + k];
      const x0 = gap + h * (thumb + gap);
      const y0 = gap + l * (thumb + gap);
      for (let y = 0; y < thumb; y++) {
        const i0 = Math.floor(y * scale);
        const i1 = Math.max(i0 + 1, Math.floor((y + 1) * scale));
        for (let x = 0; x < thumb; x++) {
          const j0 = Math.floor(x * scale);
          const j1 = Math.max(j0 + 1, Math.floor((x + 1) * scale));
          let v = 0;
          for (let i = i0; i < i1 && i < n; i++) {
            const row = at + i * n;
            for (let j = j0; j < j1 && j < n; j++) if (t.data[row + j] > v) v = t.data[row + j];
          }
          const p = ((y0 + y) * width + x0 + x) * 4;
          px[p] = rgb[0];
          px[p + 1] = rgb[1];
          px[p + 2] = rgb[2];
          px[p + 3] = max > 0 ? Math.round(255 * Math.sqrt(v / max)) : 0;
        }
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  if (focus && focusRgb) {
    ctx.strokeStyle = `rgb(${focusRgb.join(',')})`;
    ctx.lineWidth = 2;
    ctx.strokeRect(
      gap / 2 + focus.head * (thumb + gap),
      gap / 2 + focus.layer * (thumb + gap),
      thumb + gap,
      thumb + gap,
    );
  }
}

export type Direction = 'all' | 'query-to-doc' | 'doc-to-query';

const isQuery = (t: ViewToken) => t.segment === 0 && t.kind !== 'cls' && t.kind !== 'sep';
const isDoc = (t: ViewToken) => t.segment === 1 && t.kind !== 'sep';

/** Rows (attending) and columns (attended) a direction filter keeps. */
export function directionPositions(
  tokens: readonly ViewToken[],
  direction: Direction,
): { rows: number[]; cols: number[] } {
  const all = tokens.map((_, i) => i);
  const query = all.filter((i) => isQuery(tokens[i]));
  const doc = all.filter((i) => isDoc(tokens[i]));
  if (direction === 'query-to-doc') return { rows: query, cols: doc };
  if (direction === 'doc-to-query') return { rows: doc, cols: query };
  return { rows: all, cols: all };
}

export const SHARE_KINDS = ['cls', 'sep', 'period', 'query', 'doc'] as const;
export type ShareKind = (typeof SHARE_KINDS)[number];

/**
 * Per layer, the attention each kind of token receives: for every head and every attending position, the
 * sum of its attention to tokens of that kind, averaged over heads and positions (Zhan et al., Figure 1).
 * Passage periods count as periods, not as document.
 */
export function attentionShares(
  t: AttentionTensor,
  tokens: readonly ViewToken[],
): Record<ShareKind, number[]> {
  const n = t.seqLength;
  // Kind index per attended position (-1: padding), so the inner loop is one typed-array lookup.
  const kindIndex = Int8Array.from(tokens, (tok) =>
    tok.kind === 'pad'
      ? -1
      : SHARE_KINDS.indexOf(tok.kind === 'period' ? (tok.segment === 1 ? 'period' : 'query') : tok.kind),
  );
  const out = Object.fromEntries(
    SHARE_KINDS.map((k) => [k, new Array<number>(t.numLayers).fill(0)]),
  ) as Record<ShareKind, number[]>;
  const sums = new Float64Array(SHARE_KINDS.length);
  for (let l = 0; l < t.numLayers; l++) {
    sums.fill(0);
    for (let h = 0; h < t.numHeads; h++) {
      const at = headOffset(t, l, h);
      for (let i = 0; i < n; i++) {
        const row = at + i * n;
        for (let j = 0; j < n; j++) {
          const k = kindIndex[j];
          if (k >= 0) sums[k] += t.data[row + j];
        }
      }
    }
    SHARE_KINDS.forEach((k, index) => (out[k][l] = sums[index] / (t.numHeads * n)));
  }
  return out;
}
