// Each analysis's spec is the one place its flags, palette picks and their validation come from: the CLI's
// parsed settings, the palette's picks and package.json's commands are checked against it here.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../support/paths';
import { ANALYSIS_SPECS, analysisSpec } from '../../../src/core/analysis/registry';
import { settingsProblems } from '../../../src/core/analysis/spec';
import { settingsFromFlags, usage } from '../../../src/cli/commands/analyze';
import { parseArgs } from '../../../src/cli/args';

function flags(name: string, argv: string[]) {
  const spec = analysisSpec(name);
  const args = parseArgs(argv, {
    values: spec.settings.filter((f) => f.type !== 'switch').map((f) => f.flag),
    flags: spec.settings.filter((f) => f.type === 'switch').map((f) => f.flag),
  });
  return settingsFromFlags(spec, args);
}

describe('analysis specs', () => {
  it('every quick pick of the palette is a valid setting of its analysis, and a wrong one is named', () => {
    for (const spec of ANALYSIS_SPECS)
      for (const pick of spec.palette?.picks ?? [])
        assert.deepEqual(settingsProblems(spec, pick.settings), [], `${spec.name}: ${pick.label}`);
    assert.match(
      settingsProblems(analysisSpec('probing'), { pooling: 'mean' }).join(),
      /probing setting "pooling" must be states or logits, got "mean"/,
    );
    assert.match(
      settingsProblems(analysisSpec('attribution'), { selection: { kind: 'rank', topK: 0 } }).join(),
      /attribution setting "selection"/,
    );
    assert.match(
      settingsProblems(analysisSpec('rerank'), { depth: 3 }).join(),
      /rerank has no setting "depth"/,
    );
    assert.deepEqual(
      settingsProblems(analysisSpec('attribution'), { selection: { kind: 'probability', threshold: 0.7 } }),
      [],
    );
  });

  it('turns flags into the settings the analyses stored before (same keys, same order)', () => {
    assert.equal(
      JSON.stringify(flags('attribution', ['--max-points', '65', '--top-k', '3', '--tolerance', '0.1'])),
      '{"tolerance":0.1,"selection":{"kind":"rank","topK":3},"maxPoints":65}',
    );
    assert.equal(
      JSON.stringify(flags('probing', ['--shuffle-labels', '--probe-seed', '4', '--pooling', 'logits'])),
      '{"pooling":"logits","seed":4,"shuffleLabels":true}',
    );
    assert.deepEqual(flags('interaction-mask', ['--mask-kind', 'token']), { kind: 'token' });
    assert.deepEqual(flags('rerank', []), {});
    assert.throws(() => flags('attribution', ['--top-k', '3', '--threshold', '0.5']), /not both/);
    assert.throws(
      () => flags('rerank', ['--fusion-weight', '1.5']),
      /^UsageError: --fusion-weight must be within \[0, 1\]$/,
    );
    assert.throws(
      () => flags('interaction-mask', ['--mask-kind', 'x']),
      /--mask-kind must be attention \(the paper\) or token/,
    );
    assert.throws(() => flags('probing', ['--epochs', '0']), /--epochs must be a positive integer/);
  });

  it('names each analysis and its flags in the help', () => {
    for (const spec of ANALYSIS_SPECS) {
      assert.match(usage, new RegExp(`\\n  ${spec.name}[ :]`));
      for (const field of spec.settings)
        assert.ok(usage.includes(`--${field.flag}`), `${spec.name} --${field.flag}`);
    }
  });

  it("declares each analysis's palette command in package.json, and no analysis command without a spec", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const declared = pkg.contributes.commands.map((c) => c.command);
    const specCommands = ANALYSIS_SPECS.flatMap((s) => (s.command ? [s.command] : []));
    for (const command of specCommands) assert.ok(declared.includes(command), command);
    const analyzeCommands = declared.filter((c) => c.startsWith('ranklens.analyze'));
    assert.deepEqual(analyzeCommands.sort(), [...specCommands, 'ranklens.analyzeDataset'].sort());
  });
});
