// The bundled model and the sample workspace, found from the sources as `ranklens analyze` and `ranklens report`
// find them without --model / --workspace.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { bundledModelDir, bundledWorkspace } from '../../../src/cli/shippedFolders';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../support/paths';

describe('shipped folders', () => {
  it('are the repository’s bundled model folder and sample-workspace', () => {
    assert.equal(bundledModelDir(), DEFAULT_MODEL_DIR);
    assert.equal(bundledWorkspace(), path.join(REPO_ROOT, 'sample-workspace'));
  });
});
