// `ranklens analyze --alpha/--resamples/--permutations/--significance-seed` (and `ranklens report`, and an analysis
// request's "significance"): the result's intervals and tests are computed with them (and say so), the scores are
// not touched; a wrong value is refused naming its flag or field.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir } from '../../support/checkpoints';
import { tinyDatasetArgs, writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';
import type { PeriodMaskResult } from '../../../src/core/analysis/period-mask/periodMask';
import type { ResultFile } from '../../../src/core/analysis/runner';
import { InProcessAnalysisModel } from '../../../src/core/analysis/inProcessModel';
import type { AnalysisRunRequest } from '../../../src/core/analysis/runRequest';
import {
  DEFAULT_SIGNIFICANCE,
  comparePaired,
  meanInterval,
  significanceOptions,
} from '../../../src/core/eval/significance';
import { runReportAnalyses } from '../../../src/core/report/runReport';

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

/** Writes an analysis request for period-mask on the tiny dataset with `significance` as given. */
function requestFile(name: string, significance?: unknown): string {
  const request: Omit<AnalysisRunRequest, 'significance'> & { significance?: unknown } = {
    name: 'period-mask',
    settings: {},
    data: { ...files, depth: 5 },
    dir: path.join(root, 'ignored'),
    maxLength: 64,
    ...(significance === undefined ? {} : { significance }),
  };
  const file = path.join(root, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(request));
  return file;
}

async function analyzeRequest(file: string, out: string, ...flags: string[]) {
  return captureOutput(() =>
    main([
      'analyze',
      'period-mask',
      '--request',
      file,
      '--model',
      modelDir,
      '--threads',
      '1',
      '--cache-dir',
      path.join(root, 'graphs'),
      '--out',
      path.join(root, out),
      ...flags,
    ]),
  );
}

const significanceOf = (out: string) =>
  (
    JSON.parse(fs.readFileSync(path.join(root, out, 'result.json'), 'utf8')) as ResultFile & {
      result: PeriodMaskResult;
    }
  ).result.significance;

describe('significance of ranklens analyze --request', () => {
  it("takes the request's significance, and the flags over it", async () => {
    const file = requestFile('request-significance', { alpha: 0.1, resamples: 300 });
    const r = await analyzeRequest(file, 'from-request');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      { ...significanceOf('from-request'), method: undefined },
      { ...significanceOptions({ alpha: 0.1, resamples: 300 }), method: undefined },
    );
    const flagged = await analyzeRequest(
      file,
      'request-and-flags',
      '--resamples',
      '400',
      '--significance-seed',
      '9',
    );
    assert.equal(flagged.code, 0, flagged.err);
    assert.deepEqual(
      { ...significanceOf('request-and-flags'), method: undefined },
      { ...significanceOptions({ alpha: 0.1, resamples: 400, seed: 9 }), method: undefined },
      "the flags override the request's resamples and seed; its alpha stays",
    );
    const plain = await analyzeRequest(requestFile('request-plain'), 'request-plain', '--alpha', '0.2');
    assert.equal(plain.code, 0, plain.err);
    assert.equal(
      significanceOf('request-plain').alpha,
      0.2,
      'the flags without a significance in the request',
    );
    assert.equal(significanceOf('request-plain').resamples, DEFAULT_SIGNIFICANCE.resamples);
  });

  it('refuses a wrong significance in the request naming the file, the field and what it must be', async () => {
    for (const [i, [significance, message]] of (
      [
        [{ alpha: 2 }, /bad-1\.json: expected significance\.alpha to be a number within \(0, 1\), found 2/],
        [{ resamples: '500' }, /expected significance\.resamples to be a positive integer, found "500"/],
        [{ seed: -1 }, /expected significance\.seed to be a whole number from 0 to 4294967295, found -1/],
        [{ alfa: 0.1 }, /expected significance\.alfa to be one of significance\.alpha, .*found an option/],
        [[0.05], /expected significance to be an object with some of alpha, resamples/],
      ] as const
    ).entries()) {
      const file = requestFile(`bad-${i + 1}`, significance);
      const r = await analyzeRequest(file, 'never');
      assert.equal(r.code, 1, `${JSON.stringify(significance)}: ${r.err}`);
      assert.match(r.err, message);
    }
    assert.ok(!fs.existsSync(path.join(root, 'never')), 'nothing was written');
  });
});

describe('significance of ranklens report', () => {
  it('refuses a wrong flag before reading or loading anything', async () => {
    for (const [flags, message] of [
      [['--alpha', '0'], /alpha 0 must be within \(0, 1\)/],
      [['--permutations', '-5'], /--permutations must be a positive integer/],
      [['--significance-seed', 'x'], /--significance-seed must be a whole number/],
    ] as const) {
      const r = await captureOutput(() =>
        main([
          'report',
          '--workspace',
          path.join(root, 'no-such-folder'),
          '--out',
          path.join(root, 'r.html'),
          ...flags,
        ]),
      );
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });

  it('gives every analysis of the report the chosen alpha and resamples, in each result.json', async () => {
    const model = await InProcessAnalysisModel.load(modelDir, {
      threads: 1,
      cacheDir: path.join(root, 'graphs'),
    });
    try {
      const workDir = path.join(root, 'report-work');
      const options = significanceOptions({ alpha: 0.2, resamples: 250 });
      await runReportAnalyses({
        files: { ...files, trainQueries: files.queries, trainQrels: files.qrels, trainRun: files.run },
        sizes: { depth: 5, queries: {}, probingTrain: 2 },
        model,
        modelName: 'tiny',
        maxLength: 64,
        workDir,
        only: ['period-mask', 'rerank'],
        significance: options,
      });
      for (const name of ['period-mask', 'rerank']) {
        const written = JSON.parse(
          fs.readFileSync(path.join(workDir, name, 'result.json'), 'utf8'),
        ) as ResultFile;
        const statement = (written.result as { significance: { alpha: number; resamples: number } })
          .significance;
        assert.equal(statement.alpha, 0.2, name);
        assert.equal(statement.resamples, 250, name);
      }
    } finally {
      await model.dispose();
    }
  });
});
