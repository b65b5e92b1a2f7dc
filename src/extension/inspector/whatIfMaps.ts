import type { AttentionTensor } from '../../protocol/attention';

/**
 * Default budget for kept what-if attention maps: two maps at BERT-base size (12 x 12 heads, 256 tokens,
 * 37.7 MB each), six of the bundled model's. A map out of the budget is recomputed when asked for again
 * (one forward pass of the changed pair).
 */
export const WHAT_IF_MAP_BUDGET = 80 * 1024 * 1024;

/**
 * The attention maps of one pair's what-ifs, least recently used first out once their bytes exceed the
 * budget. The user looks at one what-if beside the original at a time; the others' maps are kept only
 * while they fit, and recomputed (by `recompute`) when their row is chosen again. The map asked for last
 * is always kept, even alone over the budget.
 */
export class WhatIfMaps {
  private readonly maps = new Map<number, AttentionTensor>();
  private readonly pending = new Map<number, Promise<AttentionTensor>>();
  private bytesHeld = 0;
  /** Maps recomputed after they were dropped (for the log and the tests). */
  recomputed = 0;

  constructor(
    private readonly recompute: (id: number) => Promise<AttentionTensor>,
    readonly budgetBytes = WHAT_IF_MAP_BUDGET,
  ) {}

  get bytes(): number {
    return this.bytesHeld;
  }

  get size(): number {
    return this.maps.size;
  }

  has(id: number): boolean {
    return this.maps.has(id);
  }

  put(id: number, map: AttentionTensor): void {
    this.forget(id);
    this.maps.set(id, map);
    this.bytesHeld += map.data.byteLength;
    this.trim(id);
  }

  /** The map of what-if `id`: kept, or recomputed (concurrent asks share one computation). */
  async get(id: number): Promise<AttentionTensor> {
    const kept = this.maps.get(id);
    if (kept) {
      // Most recently used: to the end of the insertion order.
      this.maps.delete(id);
      this.maps.set(id, kept);
      return kept;
    }
    let computing = this.pending.get(id);
    if (!computing) {
      const current: Promise<AttentionTensor> = this.recompute(id).then(
        (map) => {
          this.recomputed++;
          // Not kept if the what-if was forgotten (undone) while its map was computed.
          if (this.pending.get(id) === current) {
            this.pending.delete(id);
            this.put(id, map);
          }
          return map;
        },
        (error: unknown) => {
          if (this.pending.get(id) === current) this.pending.delete(id);
          throw error;
        },
      );
      computing = current;
      this.pending.set(id, current);
    }
    return computing;
  }

  forget(id: number): void {
    this.pending.delete(id);
    const map = this.maps.get(id);
    if (!map) return;
    this.maps.delete(id);
    this.bytesHeld -= map.data.byteLength;
  }

  clear(): void {
    this.pending.clear();
    this.maps.clear();
    this.bytesHeld = 0;
  }

  private trim(keep: number): void {
    for (const [id, map] of this.maps) {
      if (this.bytesHeld <= this.budgetBytes) return;
      if (id === keep) continue;
      this.maps.delete(id);
      this.bytesHeld -= map.data.byteLength;
    }
  }
}
