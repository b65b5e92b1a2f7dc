import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A fresh folder named ranklens-`label`-XXXXXX in the system's temporary folder. */
export function tempDir(label = 'test'): string {
  return mkdtempSync(path.join(tmpdir(), `ranklens-${label}-`));
}

/** Writes a file in a fresh temporary folder and returns its path. */
export function tempFile(name: string, content: string | Uint8Array): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, content);
  return file;
}
