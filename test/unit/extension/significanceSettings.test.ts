// The palette's intervals and tests come from Settings: RankLens › Significance; a wrong value is named by its
// setting, and the defaults add nothing to the request.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SIGNIFICANCE, significanceOptions } from '../../../src/core/eval/significance';
import {
  SIGNIFICANCE_SETTINGS,
  significanceOfSettings,
} from '../../../src/extension/commands/significanceSettings';

const settings = (values: Record<string, unknown>) => (key: string) => values[key];

describe('significance settings', () => {
  it('say nothing at their defaults (unset, or set to the default values)', () => {
    assert.equal(significanceOfSettings(settings({})), undefined);
    const { alpha, resamples, permutations, seed } = DEFAULT_SIGNIFICANCE;
    assert.equal(significanceOfSettings(settings({ alpha, resamples, permutations, seed })), undefined);
  });

  it('give the options over the defaults', () => {
    assert.deepEqual(
      significanceOfSettings(settings({ alpha: 0.1, resamples: 500, seed: 3 })),
      significanceOptions({ alpha: 0.1, resamples: 500, seed: 3 }),
    );
  });

  it('name the setting that is wrong and what it must be', () => {
    assert.throws(
      () => significanceOfSettings(settings({ alpha: 1 })),
      /the setting ranklens\.significance\.alpha must be a number within \(0, 1\), got 1/,
    );
    assert.throws(
      () => significanceOfSettings(settings({ permutations: 0.5 })),
      /ranklens\.significance\.permutations must be a positive integer, got 0\.5/,
    );
  });

  it("are the package's contributed settings, with the defaults of the analyses", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default: unknown }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    for (const [option, key] of Object.entries(SIGNIFICANCE_SETTINGS))
      assert.equal(
        properties[`ranklens.significance.${key}`]?.default,
        DEFAULT_SIGNIFICANCE[option as keyof typeof SIGNIFICANCE_SETTINGS],
        key,
      );
  });
});
