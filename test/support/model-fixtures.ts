// Helpers shared by the tests that check a model against the float64 reference (model, bert, runtime, analysis).
import {
  bertForward64,
  type ReferenceConfig,
  type ReferenceMasks,
  type ReferenceOutput,
  type TensorLookup,
} from '../reference/bert64';
import type { CheckpointSpec, WrittenCheckpoint } from './checkpoints';

export function referenceConfig(spec: CheckpointSpec): ReferenceConfig {
  return {
    hidden: spec.hidden,
    heads: spec.heads,
    layers: spec.layers,
    layerNormEps: spec.layerNormEps ?? 1e-12,
    numLabels: spec.numLabels,
  };
}

export function referenceLookup(written: WrittenCheckpoint): TensorLookup {
  return (name) => {
    const t = written.tensors.get(`bert.${name}`) ?? written.tensors.get(name);
    if (!t) throw new Error(`reference: no tensor ${name}`);
    return t.data;
  };
}

/** The float64 reference forward of one encoded pair (ids, token types, padding mask) through a written checkpoint. */
export function referenceForward(
  spec: CheckpointSpec,
  written: WrittenCheckpoint,
  pair: {
    readonly inputIds: ArrayLike<number>;
    readonly tokenTypeIds: ArrayLike<number>;
    readonly attentionMask: ArrayLike<number>;
  },
  masks: ReferenceMasks = {},
): ReferenceOutput {
  return bertForward64(
    referenceConfig(spec),
    referenceLookup(written),
    Array.from(pair.inputIds),
    Array.from(pair.tokenTypeIds),
    Array.from(pair.attentionMask),
    masks,
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A deterministic pair: [CLS]=1 q... [SEP]=2 d... [SEP]=2 with token types 0 then 1. */
export function syntheticPair(queryLength: number, docLength: number, vocab: number, seed: number) {
  const ids = [1];
  for (let i = 0; i < queryLength; i++) ids.push(3 + ((seed * 7 + i * 13) % (vocab - 3)));
  ids.push(2);
  const firstSegment = ids.length;
  for (let i = 0; i < docLength; i++) ids.push(3 + ((seed * 11 + i * 5 + 1) % (vocab - 3)));
  ids.push(2);
  const types = ids.map((_, i) => (i < firstSegment ? 0 : 1));
  return { inputIds: ids, tokenTypeIds: types, attentionMask: ids.map(() => 1) };
}
