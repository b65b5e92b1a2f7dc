import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What identifies one version of a file without reading it; any change to the content changes one of these. */
interface FileIdentity {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Set by the kernel on every write or metadata change; unlike mtime, `touch -d` cannot set it back. */
  readonly ctimeMs: number;
  readonly ino: number;
  readonly dev: number;
}

interface Memo extends FileIdentity {
  readonly sha256: string;
}

const READ_BYTES = 8 * 1024 * 1024;

function identityOf(file: string): FileIdentity {
  const s = fs.statSync(file);
  return {
    path: path.resolve(file),
    size: s.size,
    mtimeMs: s.mtimeMs,
    ctimeMs: s.ctimeMs,
    ino: s.ino,
    dev: s.dev,
  };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.path === b.path &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs &&
    a.ino === b.ino &&
    a.dev === b.dev
  );
}

/** sha256 of a whole file, read in large chunks. */
export function sha256OfFile(file: string, signal?: AbortSignal): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      signal?.throwIfAborted();
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * sha256 of every byte of `file`, computed once per version of the file: the result is remembered in a
 * small JSON sidecar under `memoDir` (never beside the user's file), keyed by the file's path, size, mtime,
 * ctime and inode, and recomputed whenever any of them differs. Without `memoDir` the file is read each time.
 */
export function contentHash(file: string, memoDir?: string, signal?: AbortSignal): string {
  const identity = identityOf(file);
  if (!memoDir) return sha256OfFile(file, signal);
  const memoFile = path.join(
    memoDir,
    `${crypto.createHash('sha256').update(identity.path).digest('hex').slice(0, 32)}.json`,
  );
  const memo = readMemo(memoFile);
  if (memo && sameIdentity(memo, identity)) return memo.sha256;
  const sha256 = sha256OfFile(file, signal);
  // Only remember the hash if the file did not change while it was read.
  if (sameIdentity(identityOf(file), identity)) writeMemo(memoFile, { ...identity, sha256 });
  return sha256;
}

function readMemo(file: string): Memo | undefined {
  try {
    const memo = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Memo>;
    return typeof memo.sha256 === 'string' && /^[0-9a-f]{64}$/.test(memo.sha256) ? (memo as Memo) : undefined;
  } catch {
    return undefined;
  }
}

function writeMemo(file: string, memo: Memo): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, JSON.stringify(memo));
    fs.renameSync(partial, file);
  } catch {
    // A memo that cannot be written only costs a re-hash next time.
  }
}
