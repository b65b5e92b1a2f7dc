// Folders that ship with ranklens, found from where this code runs: the CLI bundle (out/cli.js, one level below
// the package) or the sources (src/cli/shippedFolders.ts, two levels below).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLED_MODEL_FOLDER } from '../core/model/bundled';
import { UsageError } from './args';

/** PACKAGE/`relative` when it holds `marker`, else a usage error: `notFound`. */
function shippedFolder(relative: string, marker: string, notFound: string): string {
  for (const up of ['..', path.join('..', '..')]) {
    const dir = path.resolve(__dirname, up, relative);
    if (existsSync(path.join(dir, marker))) return dir;
  }
  throw new UsageError(notFound);
}

/** The bundled model: what every command uses without --model. */
export function bundledModelDir(): string {
  return shippedFolder(
    BUNDLED_MODEL_FOLDER,
    'config.json',
    `the bundled model ${BUNDLED_MODEL_FOLDER} was not found: pass --model DIR`,
  );
}

/** sample-workspace: the data `ranklens report` uses without --workspace. */
export function bundledWorkspace(): string {
  return shippedFolder(
    'sample-workspace',
    'queries.dev600-heldout.tsv',
    'the sample workspace was not found: pass --workspace DIR',
  );
}
