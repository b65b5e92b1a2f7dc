// `ranklens analyze --alpha/--resamples/--permutations/--significance-seed`: the result's intervals and tests are
// computed with them (and say so), the scores are not touched.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir } from '../../support/checkpoints';
import { tinyDatasetArgs, writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';
import type { PeriodMaskResult } from '../../../src/core/analysis/periodMask';
import type { ResultFile } from '../../../src/core/analysis/runner';
import { comparePaired, meanInterval, significanceOptions } from '../../../src/core/eval/significance';

let root: string;
let modelDir: string;
let files: TinyDatasetFiles;

before(() => {
  root = tempDir('significance-flags');
  ({ modelDir, files } = writeTinyModelAndDataset(
    root,
    { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 49 },
    { queries: 6, candidates: 5, seed: 9 },
  ));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function periodMask(out: string, ...flags: string[]): Promise<PeriodMaskResult & { file: ResultFile }> {
  const dir = path.join(root, out);
  const r = await captureOutput(() =>
    main([
      'analyze',
      'period-mask',
      '--model',
      modelDir,
      ...tinyDatasetArgs(files),
      '--max-length',
      '64',
      '--threads',
      '1',
      '--cache-dir',
      path.join(root, 'graphs'),
      '--out',
      dir,
      ...flags,
    ]),
  );
  assert.equal(r.code, 0, r.err);
  const file = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')) as ResultFile;
  return { ...(file.result as unknown as PeriodMaskResult), file };
}

describe('significance flags of ranklens analyze', () => {
  it('computes intervals and tests with the given α, resamples and seed, and leaves the metrics alone', async () => {
    const plain = await periodMask('plain');
    const flagged = await periodMask(
      'flagged',
      '--alpha',
      '0.1',
      '--resamples',
      '500',
      '--significance-seed',
      '7',
    );
    const options = significanceOptions({ alpha: 0.1, resamples: 500, seed: 7 });
    assert.deepEqual(
      { ...flagged.significance, method: undefined },
      { ...options, method: undefined },
      'the result states the options used',
    );
    assert.match(flagged.significance.method, /90%/);
    assert.equal(plain.significance.alpha, 0.05);
    // The same scores and metrics; only the uncertainty differs.
    assert.deepEqual(flagged.perQuery, plain.perQuery);
    assert.equal(flagged.original.mrr10, plain.original.mrr10);
    // Recomputed independently from the per-query values with the same options.
    assert.deepEqual(flagged.original.interval, meanInterval(flagged.perQuery.original, options));
    for (const s of flagged.settings)
      assert.deepEqual(
        s.comparison,
        comparePaired(flagged.perQuery.original, flagged.perQuery.settings[s.setting], options),
      );
    assert.notDeepEqual(flagged.original.interval, plain.original.interval);
    const width = (i: { lower: number; upper: number }) => i.upper - i.lower;
    assert.ok(width(flagged.original.interval) <= width(plain.original.interval), '90% is no wider than 95%');
  });

  it('refuses an α outside (0, 1) and a non-integer resample count before loading anything', async () => {
    for (const [flags, message] of [
      [['--alpha', '1.5'], /alpha 1.5 must be within \(0, 1\)/],
      [['--resamples', '2.5'], /--resamples must be a positive integer/],
      [['--significance-seed', '-3'], /--significance-seed must be a whole number/],
    ] as const) {
      const r = await captureOutput(() =>
        main([
          'analyze',
          'period-mask',
          '--model',
          modelDir,
          ...tinyDatasetArgs(files),
          '--out',
          root,
          ...flags,
        ]),
      );
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });
});
