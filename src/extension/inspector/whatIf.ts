// What-ifs of the pair inspector, translated into the core's mask specs (src/core/runtime/types.ts).
// No vscode import: unit-tested on its own.
import type { MaskSpec, TokenSelector } from '../../core/runtime/types';
import type { MaskTarget, WhatIfSpec } from '../../protocol/inspector';

const GROUP_NAMES: Record<MaskTarget['group'], string> = {
  all: 'all tokens',
  query: 'query',
  document: 'document',
  periods: 'periods',
  sep: '[SEP]',
  cls: '[CLS]',
  'query-side': 'query side',
  'document-side': 'document side',
  picked: 'picked tokens',
};

export function selectorFor(target: MaskTarget): TokenSelector {
  switch (target.group) {
    case 'all':
      return 'all';
    case 'query':
      return ['query'];
    case 'document':
      // The passage's own WordPieces: its periods are labelled 'period', the rest 'doc'.
      return ['doc', 'period'];
    case 'periods':
      return ['period'];
    case 'sep':
      return ['sep'];
    case 'cls':
      return ['cls'];
    case 'query-side':
      return ['query-segment'];
    case 'document-side':
      return ['document-segment'];
    case 'picked':
      return { positions: target.positions };
  }
}

/** The core mask specs of a what-if (none when it only replaces periods). */
export function maskSpecsFor(spec: WhatIfSpec, numLayers: number): MaskSpec[] {
  if (!spec.mask) return [];
  const { kind, from, to, layers } = spec.mask;
  if (!Number.isInteger(layers) || layers < 1 || layers > numLayers)
    throw new Error(`a what-if masks the first 1-${numLayers} layers, not ${layers}`);
  for (const target of [from, to]) {
    if (target.group === 'picked' && target.positions.length === 0)
      throw new Error('pick at least one token (click it in the query or passage) to mask picked tokens');
  }
  const inLayers = [...Array(layers).keys()];
  const masks: MaskSpec[] = [{ kind, layers: inLayers, from: selectorFor(from), to: selectorFor(to) }];
  if (spec.mask.bothWays)
    masks.push({ kind, layers: inLayers, from: selectorFor(to), to: selectorFor(from) });
  return masks;
}

export function describeWhatIf(spec: WhatIfSpec, numLayers: number): string {
  const parts: string[] = [];
  if (spec.mask) {
    const { kind, from, to, layers } = spec.mask;
    const name = (t: MaskTarget) =>
      t.group === 'picked'
        ? `${t.positions.length} picked token${t.positions.length === 1 ? '' : 's'}`
        : GROUP_NAMES[t.group];
    const span = layers === numLayers ? 'all layers' : layers === 1 ? 'layer 1' : `layers 1-${layers}`;
    parts.push(`${kind} mask ${name(from)} ${spec.mask.bothWays ? '↔' : '→'} ${name(to)}, ${span}`);
  }
  if (spec.replacePeriods) parts.push('periods → commas');
  return parts.join('; ') || 'no change';
}

/** Whether the what-if means the same thing for every candidate (no positions of this pair in it). */
export function appliesToEveryCandidate(spec: WhatIfSpec): boolean {
  return !spec.mask || (spec.mask.from.group !== 'picked' && spec.mask.to.group !== 'picked');
}

/** 1-based rank of a score among other candidates' scores (ties go to the pair: it ranks above equals). */
export function rankAmong(score: number, others: readonly number[]): { rank: number; of: number } {
  return { rank: 1 + others.filter((s) => s > score).length, of: others.length + 1 };
}
