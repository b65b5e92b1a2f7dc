import type { AttentionTensor } from '../../src/protocol/attention';
import { headOffset, layerMean, type Direction } from '../shared/attentionCanvas';

export type Mode = 'model' | 'head' | 'summary';

/** Head -1: the mean over the layer's heads. */
export const MEAN_HEAD = -1;

/** What the explorer's controls pick: the views take it as a property and ask for changes by event. */
export interface AttentionSelection {
  readonly layer: number;
  /** A head, or MEAN_HEAD. */
  readonly head: number;
  readonly direction: Direction;
  /** 'lines' or 'heatmap'. */
  readonly lineMode: string;
}

/** The token in focus in the head view: on the left it attends, on the right it is attended to. */
export interface Hovered {
  readonly side: 'left' | 'right';
  readonly position: number;
}

/** The n x n block of attention a head view draws: `data` from `offset` on, rows attend to columns. */
export interface AttentionBlock {
  readonly data: Float32Array;
  readonly offset: number;
  readonly n: number;
}

/** The selected head's block (or the layer's mean over heads). */
export function selectedBlock(t: AttentionTensor, layer: number, head: number): AttentionBlock {
  if (head === MEAN_HEAD) return { data: layerMean(t, layer), offset: 0, n: t.seqLength };
  return { data: t.data, offset: headOffset(t, layer, head), n: t.seqLength };
}

/** How much token `from` attends to token `to` in the block. */
export function weight(block: AttentionBlock, from: number, to: number): number {
  return block.data[block.offset + from * block.n + to];
}
