// Plumbing every `ranklens` subcommand shares: how errors become one line and an exit code, how
// --help is answered, how result files are written, and how the process exits without cutting off
// output that is still on its way into a pipe.
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { writeAtomically } from '../core/analysis/checkedFile';
import { DataError } from '../core/data/dataError';
import { refuseOverwritingInput } from '../core/data/outputFiles';
import { CheckpointError } from '../core/model/checkpointError';
import { CancelledError } from '../core/progress';
import { UsageError } from './args';

/** What main.ts needs of a subcommand module. */
export interface CliCommand {
  /** Multi-line usage text; its first line starts with "ranklens NAME". */
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

export const EXIT_OK = 0;
/** The input, the checkpoint or the environment was wrong; the message says how. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

/** `ranklens CMD --help` / `-h`, wherever it appears among CMD's arguments. */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export interface ErrorReport {
  /** One line, no stack trace. */
  readonly line: string;
  readonly exitCode: number;
}

/** Turns anything a command can throw into one line for the user and an exit code. */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof UsageError) return { line: error.message, exitCode: EXIT_USAGE };
  if (error instanceof DataError || error instanceof CheckpointError || error instanceof CancelledError) {
    return { line: firstLine(error.message), exitCode: EXIT_FAILURE };
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return { line: firstLine(error.message) || 'cancelled', exitCode: EXIT_FAILURE };
  }
  const system = systemErrorLine(error);
  if (system !== undefined) return { line: system, exitCode: EXIT_FAILURE };
  if (error instanceof RangeError && /allocation failed|Invalid (typed )?array length/i.test(error.message)) {
    return { line: `not enough memory (${firstLine(error.message)})`, exitCode: EXIT_FAILURE };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: firstLine(message) || 'unknown error', exitCode: EXIT_FAILURE };
}

/** Writes `ranklens CMD: LINE` to stderr (plus the stack when RANKLENS_DEBUG is set) and returns the exit code. */
export function reportError(command: string | undefined, error: unknown): number {
  const { line, exitCode } = describeError(error);
  const hint = error instanceof UsageError && command ? ` (ranklens ${command} --help shows the usage)` : '';
  process.stderr.write(`ranklens${command ? ` ${command}` : ''}: ${line}${hint}\n`);
  if (process.env.RANKLENS_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return exitCode;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0].trim();
}

/** A one-line description of a failed file-system call (ENOENT, ELOOP, ...), or undefined for other errors. */
export function systemErrorLine(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path: file, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const where = file ?? '(unknown path)';
  switch (code) {
    case 'ENOENT':
      return `${where}: no such file or folder`;
    case 'ENOTDIR':
      return `${where}: a part of the path is not a folder`;
    case 'EISDIR':
      return `${where}: is a folder; expected a file`;
    case 'ELOOP':
      return `symbolic link loop at ${where}`;
    case 'EACCES':
    case 'EPERM':
      return `${where}: permission denied`;
    case 'ENOSPC':
      return file ? `no space left on the device while writing ${file}` : 'no space left on the device';
    case 'EROFS':
      return `${where}: read-only file system`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (at ${where})`;
    case 'ENAMETOOLONG':
      return `file name too long: ${where}`;
    default:
      return `${where}: ${code}${syscall ? ` in ${syscall}` : ''}`;
  }
}

/**
 * Checks a path the user gave with --out before any work is done: its folder must exist (it is not
 * created behind the user's back), it must not be a folder, and it must not be one of the inputs (the
 * same file by device and inode, however its path is spelled).
 */
export async function checkOutputFile(file: string, inputs: readonly string[] = []): Promise<void> {
  const target = path.resolve(file);
  await refuseOverwritingInput(file, inputs);
  const folder = path.dirname(target);
  const folderStat = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (!folderStat?.isDirectory()) {
    throw new DataError(file, undefined, 'an existing folder to write into', `no folder ${folder}`);
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new DataError(file, undefined, 'a file name', 'a folder');
}

/**
 * Writes a result file the user named with --out (checked as checkOutputFile does). The content appears
 * at once (temporary file + rename), so an interrupted run never leaves half a file where a good one was.
 */
export async function writeOutputFile(
  file: string,
  content: string,
  inputs: readonly string[] = [],
): Promise<void> {
  await checkOutputFile(file, inputs);
  await writeAtomically(file, content);
}

/** Resolves once everything written to `stream` so far has been handed to the OS (or the stream is gone). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/**
 * Runs the CLI and exits with its code only after stdout and stderr have drained: process.exit() with
 * output still queued for a pipe cuts it off at the pipe's buffer size (64 KiB on Linux). A reader that
 * goes away early (`ranklens inspect | head`) ends the process quietly instead of with an EPIPE trace.
 */
export function runCommandLine(main: (argv: string[]) => Promise<number>): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
      throw error;
    });
  }
  const finish = async (code: number) => {
    process.exitCode = code;
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  };
  main(process.argv.slice(2)).then(finish, (error: unknown) => finish(reportError(undefined, error)));
}

/**
 * Runs `fn`, turning whatever it throws (checkpoint, input, file-system problems) into a one-line message
 * and exit code 1, so calling a command's run() directly behaves like the CLI.
 */
export async function reportingErrors(command: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return reportError(command, error);
  }
}
