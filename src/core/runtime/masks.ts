import type { TokenKind } from '../text/types';
import type { HeadMaskSpec, MaskSpec, SelectorKind, TokenSelector } from './types';

/** Feeds for the graph's experiment inputs (see BERT_IO in src/core/bert/graph). */
export interface CompiledMasks {
  readonly numGroups: number;
  /** [batch, seq, groups], one-hot rows. */
  readonly groups: Float32Array;
  /** [layers, groups, groups] */
  readonly tokenTable: Float32Array;
  /** [layers, groups, groups] */
  readonly attentionTable: Float32Array;
  /** [layers, heads] */
  readonly headMask: Float32Array;
}

export interface MaskedSequence {
  /** Real tokens (padding excluded). */
  readonly length: number;
  readonly kinds?: readonly TokenKind[];
  /** Token type ids (0 = query segment, 1 = passage segment); needed by segment selectors. */
  readonly segments?: ArrayLike<number>;
}

function matchesKind(name: SelectorKind, seq: MaskedSequence, position: number): boolean {
  const kind: TokenKind = position < seq.length ? (seq.kinds as readonly TokenKind[])[position] : 'pad';
  if (name === 'pad' || kind === 'pad') return name === kind;
  const segment = () => {
    if (!seq.segments) throw new Error(`mask selector "${name}" needs the pair's token types`);
    return seq.segments[position];
  };
  switch (name) {
    case 'sep-middle':
      return kind === 'sep' && segment() === 0;
    case 'sep-final':
      return kind === 'sep' && segment() === 1;
    case 'query-segment':
      return segment() === 0;
    case 'document-segment':
      return segment() === 1;
    default:
      return name === kind;
  }
}

/** Whether `selector` picks `position` of the sequence. */
export function selects(selector: TokenSelector, seq: MaskedSequence, position: number): boolean {
  if (selector === 'all') return true;
  if ('positions' in selector) return selector.positions.includes(position);
  if (!seq.kinds) throw new Error('mask selectors by token kind need pairs with tokens (an EncodedPair)');
  return (selector as readonly SelectorKind[]).some((name) => matchesKind(name, seq, position));
}

/** A position selector past a pair's last token would mask nothing, silently: it is refused instead. */
function checkPositionsWithin(sequences: readonly MaskedSequence[], masks: readonly MaskSpec[]): void {
  for (const spec of masks) {
    for (const selector of [spec.from, spec.to]) {
      if (selector === 'all' || !('positions' in selector)) continue;
      for (const seq of sequences) {
        const beyond = selector.positions.find((p) => p >= seq.length);
        if (beyond !== undefined)
          throw new Error(
            `mask position pos:${beyond} is beyond the pair's ${seq.length} tokens; expected positions 0-${seq.length - 1}`,
          );
      }
    }
  }
}

/** A 0-based layer index in the words users read: RankLens numbers transformer layers 1..L (0 = embeddings). */
function layerWords(index: number): string {
  return `layer index ${index} (transformer layer ${index + 1})`;
}

function layerList(spec: MaskSpec, numLayers: number): number[] {
  const layers = spec.layers === 'all' ? [...Array(numLayers).keys()] : [...spec.layers];
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l >= numLayers) {
      throw new Error(
        `mask ${layerWords(l)} is out of range: the model has transformer layers 1-${numLayers}`,
      );
    }
  }
  return layers;
}

/**
 * Turns mask specs into group tables. Positions are grouped by which specs' from/to selectors they fall
 * in, across the whole batch, so one [groups x groups] table per layer serves every pair.
 */
export function compileMasks(
  sequences: readonly MaskedSequence[],
  seqLength: number,
  numLayers: number,
  numHeads: number,
  masks: readonly MaskSpec[] = [],
  headMasks: readonly HeadMaskSpec[] = [],
): CompiledMasks {
  checkPositionsWithin(sequences, masks);
  const signatureGroup = new Map<string, number>();
  const memberships: { from: boolean[]; to: boolean[] }[] = [];
  const positionGroup = new Int32Array(sequences.length * seqLength);
  sequences.forEach((seq, b) => {
    for (let p = 0; p < seqLength; p++) {
      const from = masks.map((m) => selects(m.from, seq, p));
      const to = masks.map((m) => selects(m.to, seq, p));
      const key = from.map(Number).join('') + '|' + to.map(Number).join('');
      let group = signatureGroup.get(key);
      if (group === undefined) {
        group = signatureGroup.size;
        signatureGroup.set(key, group);
        memberships.push({ from, to });
      }
      positionGroup[b * seqLength + p] = group;
    }
  });
  const G = Math.max(1, signatureGroup.size);
  const groups = new Float32Array(sequences.length * seqLength * G);
  positionGroup.forEach((g, index) => (groups[index * G + g] = 1));
  const tokenTable = new Float32Array(numLayers * G * G);
  const attentionTable = new Float32Array(numLayers * G * G);
  masks.forEach((spec, s) => {
    const table = spec.kind === 'token' ? tokenTable : attentionTable;
    for (const l of layerList(spec, numLayers)) {
      for (let gi = 0; gi < memberships.length; gi++) {
        if (!memberships[gi].from[s]) continue;
        for (let gj = 0; gj < memberships.length; gj++) {
          if (memberships[gj].to[s]) table[(l * G + gi) * G + gj] = 1;
        }
      }
    }
  });
  const headMask = new Float32Array(numLayers * numHeads);
  for (const hm of headMasks) {
    if (!Number.isInteger(hm.layer) || hm.layer < 0 || hm.layer >= numLayers) {
      throw new Error(
        `head mask ${layerWords(hm.layer)} is out of range: the model has transformer layers 1-${numLayers}`,
      );
    }
    for (const head of hm.heads) {
      if (!Number.isInteger(head) || head < 0 || head >= numHeads) {
        throw new Error(
          `head mask head index ${head} (head ${head + 1}) is out of range: the model has heads 1-${numHeads}`,
        );
      }
      headMask[hm.layer * numHeads + head] = 1;
    }
  }
  return { numGroups: G, groups, tokenTable, attentionTable, headMask };
}

/**
 * One sequence's masks as full [seqLength, seqLength] matrices (1 = masked), every spec applied whatever its
 * `layers` (the caller decides the layers, e.g. the first i of an interaction-mask depth).
 */
export function pairMaskMatrices(
  seq: MaskedSequence,
  seqLength: number,
  masks: readonly MaskSpec[],
): { readonly token: Float32Array; readonly attention: Float32Array } {
  const token = new Float32Array(seqLength * seqLength);
  const attention = new Float32Array(seqLength * seqLength);
  for (const spec of masks) {
    const target = spec.kind === 'token' ? token : attention;
    const rows = [...Array(seqLength).keys()].filter((i) => selects(spec.from, seq, i));
    const keys = [...Array(seqLength).keys()].filter((j) => selects(spec.to, seq, j));
    for (const i of rows) for (const j of keys) target[i * seqLength + j] = 1;
  }
  return { token, attention };
}
