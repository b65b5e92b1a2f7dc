import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { makeFolders } from '../data/outputFiles';
import type { Json } from './analysis';

/**
 * Files whose content proves itself: `{"format": F, "sha256": H, "body": B}` where H is the sha256 of
 * JSON.stringify(B). JSON.stringify(JSON.parse(x)) === x for what JSON.stringify wrote, so a reader recomputes
 * H from the parsed body. Written to a temporary file in the same folder and renamed, so a reader sees the
 * old file or the whole new one, never half of it.
 */
export async function writeCheckedFile(file: string, format: string, body: Json): Promise<void> {
  const text = JSON.stringify(body);
  const sha256 = createHash('sha256').update(text).digest('hex');
  await writeAtomically(file, `{"format":${JSON.stringify(format)},"sha256":"${sha256}","body":${text}}\n`);
}

export async function writeAtomically(file: string, content: string): Promise<void> {
  await makeFolders(path.dirname(file));
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, file);
  } catch (error) {
    // A failed write (a full disk) names no file, or only the temporary one: the user knows `file`.
    throw Object.assign(error as NodeJS.ErrnoException, { path: file });
  } finally {
    await rm(temporary, { force: true });
  }
}

export type CheckedRead =
  { readonly ok: true; readonly body: Json } | { readonly ok: false; readonly reason: string };

/** Reads a checked file; any damage (missing, truncated, edited, other format) is a reason, never a throw. */
export async function readCheckedFile(file: string, format: string): Promise<CheckedRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { ok: false, reason: 'missing' };
  }
  let parsed: { format?: unknown; sha256?: unknown; body?: Json };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return { ok: false, reason: 'not valid JSON (truncated?)' };
  }
  if (parsed.format !== format)
    return { ok: false, reason: `format ${String(parsed.format)}, expected ${format}` };
  const actual = createHash('sha256').update(JSON.stringify(parsed.body)).digest('hex');
  if (actual !== parsed.sha256) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, body: parsed.body as Json };
}
