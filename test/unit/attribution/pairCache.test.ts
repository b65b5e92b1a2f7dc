import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ModelPairCache } from '../../../src/core/analysis/pairCache';

describe('ModelPairCache', () => {
  it('keys by model, qid, pid and variant', () => {
    const cache = new ModelPairCache<number>();
    cache.set('m1', 'q', 'p', 1);
    cache.set('m1', 'q', 'p', 2, 'layer 3');
    cache.set('m1', 'q', 'p2', 3);
    cache.set('m1', 'q2', 'p', 4);
    assert.equal(cache.get('m1', 'q', 'p'), 1);
    assert.equal(cache.get('m1', 'q', 'p', 'layer 3'), 2);
    assert.equal(cache.get('m1', 'q', 'p2'), 3);
    assert.equal(cache.get('m1', 'q2', 'p'), 4);
    assert.equal(cache.get('m2', 'q', 'p'), undefined);
    // Ids that would collide if joined naively stay apart.
    cache.set('m1', 'a\u0000b', 'c', 5);
    assert.equal(cache.get('m1', 'a', 'b\u0000c'), undefined);
  });

  it('a model change drops every entry of the previous model and ignores late results for it', async () => {
    const cache = new ModelPairCache<number>();
    cache.useModel('m1');
    cache.set('m1', 'q', 'p', 1);
    let late: (v: number) => void = () => undefined;
    const pending = cache.getOrCompute('m1', 'q', 'slow', () => new Promise<number>((r) => (late = r)));
    cache.useModel('m1'); // the same model again keeps everything
    assert.equal(cache.get('m1', 'q', 'p'), 1);
    cache.useModel('m2');
    assert.equal(cache.size, 0);
    assert.equal(cache.get('m1', 'q', 'p'), undefined);
    late(7);
    assert.equal(await pending, 7);
    assert.equal(cache.get('m1', 'q', 'slow'), undefined);
    cache.set('m1', 'q', 'p', 1);
    assert.equal(cache.size, 0, 'entries of a model no longer in use are not stored');
  });

  it('evicts the least recently used entry past its capacity', () => {
    const cache = new ModelPairCache<number>(2);
    cache.set('m', 'q', 'a', 1);
    cache.set('m', 'q', 'b', 2);
    cache.get('m', 'q', 'a');
    cache.set('m', 'q', 'c', 3);
    assert.equal(cache.get('m', 'q', 'b'), undefined);
    assert.equal(cache.get('m', 'q', 'a'), 1);
    assert.equal(cache.get('m', 'q', 'c'), 3);
  });

  it('computes once for concurrent callers, caches the value, and does not cache failures', async () => {
    const cache = new ModelPairCache<number>();
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return 42;
    };
    const [a, b] = await Promise.all([
      cache.getOrCompute('m', 'q', 'p', compute),
      cache.getOrCompute('m', 'q', 'p', compute),
    ]);
    assert.deepEqual([a, b, calls], [42, 42, 1]);
    assert.equal(await cache.getOrCompute('m', 'q', 'p', compute), 42);
    assert.equal(calls, 1);
    let failures = 0;
    const failing = async () => {
      failures++;
      throw new Error('model crashed');
    };
    await assert.rejects(cache.getOrCompute('m', 'q', 'x', failing), /model crashed/);
    await assert.rejects(cache.getOrCompute('m', 'q', 'x', failing), /model crashed/);
    assert.equal(failures, 2);
  });

  it('aborts the computation only when every caller has given up', async () => {
    const cache = new ModelPairCache<number>();
    let computeSignal: AbortSignal | undefined;
    const compute = (signal: AbortSignal) =>
      new Promise<number>((resolve, reject) => {
        computeSignal = signal;
        signal.addEventListener('abort', () => reject(signal.reason as Error));
        setTimeout(() => resolve(9), 50);
      });
    const hover = new AbortController();
    const decoration = new AbortController();
    const first = cache.getOrCompute('m', 'q', 'p', compute, { signal: hover.signal });
    const second = cache.getOrCompute('m', 'q', 'p', compute, { signal: decoration.signal });
    hover.abort(new Error('hover went away'));
    await assert.rejects(first, /hover went away/);
    assert.equal(computeSignal?.aborted, false, 'the decoration still waits');
    assert.equal(await second, 9);

    const alone = new AbortController();
    const third = cache.getOrCompute('m', 'q', 'other', compute, { signal: alone.signal });
    alone.abort(new Error('gone'));
    await assert.rejects(third, /gone/);
    assert.equal(computeSignal?.aborted, true);
    assert.equal(cache.get('m', 'q', 'other'), undefined);
  });
});
