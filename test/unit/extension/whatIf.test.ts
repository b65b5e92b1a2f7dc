import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  appliesToEveryCandidate,
  describeWhatIf,
  maskSpecsFor,
  rankAmong,
} from '../../../src/extension/inspector/whatIf';

describe('what-ifs', () => {
  it('become the core mask spec over the first i layers', () => {
    const specs = maskSpecsFor(
      {
        mask: { kind: 'token', from: { group: 'all' }, to: { group: 'periods' }, layers: 3 },
        replacePeriods: false,
      },
      6,
    );
    assert.deepEqual(specs, [{ kind: 'token', layers: [0, 1, 2], from: 'all', to: ['period'] }]);
    const picked = maskSpecsFor(
      {
        mask: {
          kind: 'attention',
          from: { group: 'query' },
          to: { group: 'picked', positions: [7, 9] },
          layers: 1,
        },
        replacePeriods: true,
      },
      6,
    );
    assert.deepEqual(picked, [
      { kind: 'attention', layers: [0], from: ['query'], to: { positions: [7, 9] } },
    ]);
    assert.deepEqual(maskSpecsFor({ replacePeriods: true }, 6), []);
    // Figure 4's sides (token types 0 and 1), and a mask both ways: one spec per direction.
    const both = {
      mask: {
        kind: 'attention' as const,
        from: { group: 'query-side' as const },
        to: { group: 'document-side' as const },
        layers: 2,
        bothWays: true,
      },
      replacePeriods: false,
    };
    assert.deepEqual(maskSpecsFor(both, 6), [
      { kind: 'attention', layers: [0, 1], from: ['query-segment'], to: ['document-segment'] },
      { kind: 'attention', layers: [0, 1], from: ['document-segment'], to: ['query-segment'] },
    ]);
    assert.equal(describeWhatIf(both, 6), 'attention mask query side ↔ document side, layers 1-2');
    assert.throws(
      () =>
        maskSpecsFor(
          {
            mask: { kind: 'token', from: { group: 'all' }, to: { group: 'sep' }, layers: 7 },
            replacePeriods: false,
          },
          6,
        ),
      /first 1-6 layers, not 7/,
    );
    assert.throws(
      () =>
        maskSpecsFor(
          {
            mask: {
              kind: 'token',
              from: { group: 'all' },
              to: { group: 'picked', positions: [] },
              layers: 2,
            },
            replacePeriods: false,
          },
          6,
        ),
      /pick at least one token/,
    );
  });

  it('are described in plain words and know whether every candidate can get them', () => {
    const spec = {
      mask: {
        kind: 'token' as const,
        from: { group: 'document' as const },
        to: { group: 'query' as const },
        layers: 4,
      },
      replacePeriods: true,
    };
    assert.equal(describeWhatIf(spec, 4), 'token mask document → query, all layers; periods → commas');
    assert.equal(appliesToEveryCandidate(spec), true);
    assert.equal(
      appliesToEveryCandidate({
        mask: { ...spec.mask, to: { group: 'picked', positions: [3] } },
        replacePeriods: false,
      }),
      false,
    );
  });

  it('rank a score among the other candidates', () => {
    assert.deepEqual(rankAmong(0.5, [0.9, 0.1, 0.7, 0.5]), { rank: 3, of: 5 });
    assert.deepEqual(rankAmong(2, []), { rank: 1, of: 1 });
  });
});
