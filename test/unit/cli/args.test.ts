// The option readers every `ranklens` subcommand uses, and the DIR argument of merge, jobs, resume and cancel.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  UsageError,
  cacheDirOf,
  nonNegativeInt,
  onlyPositional,
  optionalPositional,
  optionalText,
  parseArgs,
  positiveInt,
} from '../../../src/cli/args';
import { main } from '../../../src/cli/main';
import { defaultGraphCacheDir } from '../../../src/core/bert/cache';
import { captureOutput } from '../../support/captureOutput';

const parse = (argv: string[]) => parseArgs(argv, { values: ['n', 'cache-dir', 'name'], flags: ['json'] });

describe('option readers', () => {
  it('read integers, refusing fractions, signs and words with the option named', () => {
    assert.equal(positiveInt(parse(['--n', '3']), 'n'), 3);
    assert.equal(positiveInt(parse([]), 'n'), undefined);
    assert.throws(
      () => positiveInt(parse(['--n', '0']), 'n'),
      /^UsageError: --n must be a positive integer$/,
    );
    assert.throws(() => positiveInt(parse(['--n', '1.5']), 'n'), /--n must be a positive integer/);
    assert.equal(nonNegativeInt(parse(['--n=0']), 'n'), 0);
    assert.throws(() => nonNegativeInt(parse(['--n', '-1']), 'n'), /--n must be a non-negative integer/);
    assert.throws(() => nonNegativeInt(parse(['--n', 'x']), 'n'), /--n must be a number, got x/);
  });

  it('give a text option, or undefined, and --cache-dir or the user cache', () => {
    assert.equal(optionalText(parse(['--name', 'a b']), 'name'), 'a b');
    assert.equal(optionalText(parse(['--json']), 'name'), undefined);
    assert.equal(optionalText(parse(['--json']), 'json'), undefined, 'a flag has no text');
    assert.equal(cacheDirOf(parse(['--cache-dir', '/tmp/graphs'])), '/tmp/graphs');
    assert.equal(cacheDirOf(parse([])), defaultGraphCacheDir());
  });

  it('take exactly one, or at most one, positional argument', () => {
    assert.equal(onlyPositional(parse(['d', '--json']), 'DIR'), 'd');
    assert.throws(() => onlyPositional(parse([]), 'DIR'), new UsageError('give exactly one DIR'));
    assert.throws(() => onlyPositional(parse(['a', 'b']), 'DIR'), new UsageError('give exactly one DIR'));
    assert.equal(optionalPositional(parse([]), 'DIR'), undefined);
    assert.equal(optionalPositional(parse(['a']), 'DIR'), 'a');
    assert.throws(() => optionalPositional(parse(['a', 'b']), 'DIR'), new UsageError('give at most one DIR'));
  });
});

describe('ranklens merge / jobs / resume / cancel DIR', () => {
  it('refuse a missing or extra DIR with exit 2 before touching anything', async () => {
    const cases: [string[], string][] = [
      [['merge'], 'give exactly one DIR'],
      [['merge', 'a', 'b'], 'give exactly one DIR'],
      [['resume'], 'give exactly one DIR'],
      [['cancel', 'a', 'b'], 'give exactly one DIR'],
      [['jobs', 'a', 'b'], 'give at most one DIR'],
    ];
    for (const [argv, message] of cases) {
      const r = await captureOutput(() => main(argv));
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '');
      assert.equal(r.err, `ranklens ${argv[0]}: ${message} (ranklens ${argv[0]} --help shows the usage)\n`);
    }
  });

  it('answer --help with the usage wherever it stands', async () => {
    for (const name of ['merge', 'jobs', 'resume', 'cancel', 'analyze', 'report']) {
      for (const argv of [
        [name, '--help'],
        [name, 'x', '-h'],
      ]) {
        const r = await captureOutput(() => main(argv));
        assert.equal(r.code, 0, argv.join(' '));
        assert.match(r.out, new RegExp(`^ranklens ${name} `));
      }
    }
  });
});
