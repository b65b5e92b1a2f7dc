import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { DataError } from './dataError';

/**
 * The entry of `inputs` that `target` is the same file as, or undefined. Files are compared by device and
 * inode, not by name: `./run.tsv`, `../dd/run.tsv`, a symbolic link and a hard link to it all name one file.
 * A target that does not exist is no input.
 */
export async function inputAt(target: string, inputs: readonly string[]): Promise<string | undefined> {
  const written = await stat(target).catch(() => undefined);
  if (!written) return undefined;
  for (const input of inputs) {
    const read = await stat(input).catch(() => undefined);
    if (read && read.dev === written.dev && read.ino === written.ino) return input;
  }
  return undefined;
}

/** Refuses `target` as an output when it is one of `inputs` (see inputAt), before anything is written. */
export async function refuseOverwritingInput(target: string, inputs: readonly string[]): Promise<void> {
  const input = await inputAt(target, inputs);
  if (input !== undefined) {
    throw new DataError(
      target,
      undefined,
      'an output file that is not one of the inputs',
      `the same file as the input ${input}`,
    );
  }
}

/**
 * Creates `folder` and any missing folders above it, one level at a time. Node's recursive mkdir loops
 * forever under /proc and reports a read-only file system as ENOENT; level by level, each failure is the
 * kernel's own answer for the folder that could not be made.
 */
export async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(folder); ; at = path.dirname(at)) {
    const found = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (found) {
      if (!found.isDirectory())
        throw new DataError(at, undefined, 'a folder to write results into', 'a file');
      break;
    }
    if (path.dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return; // made by a concurrent run
      if (error.code === 'ENOENT')
        throw new DataError(
          level,
          undefined,
          'a folder that can be created',
          `${path.dirname(level)} allows no new folders`,
        );
      throw error;
    });
  }
}
