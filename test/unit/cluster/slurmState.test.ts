// What squeue and sacct print, read into job records (the real-Slurm test reads them from a live cluster).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { SQUEUE_FORMAT, outputLines, parseSacct, parseSqueue } from '../../../src/core/cluster/slurmState';

describe('Slurm output', () => {
  it('keeps the printed lines, trimmed, without blank ones', () => {
    assert.deepEqual(outputLines('  a b \n\n\tc\n   \n'), ['a b', 'c']);
    assert.deepEqual(outputLines(''), []);
  });

  it(`reads squeue -o '${SQUEUE_FORMAT}', "None" as no reason, name and script only when printed`, () => {
    const text = '\n 12_3|PENDING|Dependency|ranklens-merge|/r/slurm/merge.sbatch \n13|RUNNING|None||\n\n';
    assert.deepEqual(parseSqueue(text), [
      {
        id: '12_3',
        state: 'PENDING',
        reason: 'Dependency',
        name: 'ranklens-merge',
        script: '/r/slurm/merge.sbatch',
      },
      { id: '13', state: 'RUNNING', reason: '' },
    ]);
  });

  it('reads sacct -P, cutting "CANCELLED by UID" to the state', () => {
    assert.deepEqual(parseSacct('12_1|COMPLETED\n  12_2|CANCELLED by 1000\n\n'), [
      { id: '12_1', state: 'COMPLETED', reason: '' },
      { id: '12_2', state: 'CANCELLED', reason: '' },
    ]);
  });
});
