// The bundled model and the sample workspace, found from the sources as `ranklens analyze` and `ranklens report`
// find them without --model / --workspace.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { bundledModelDir, bundledWorkspace } from '../../../src/cli/shippedFolders';
import { REPO_ROOT } from '../../support/paths';

describe('shipped folders', () => {
  it('are the repository’s models/ranklens-mini and sample-workspace', () => {
    assert.equal(bundledModelDir(), path.join(REPO_ROOT, 'models', 'ranklens-mini'));
    assert.equal(bundledWorkspace(), path.join(REPO_ROOT, 'sample-workspace'));
  });
});
