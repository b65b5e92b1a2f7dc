/** One job or array task as squeue or sacct report it. */
export interface SlurmJobRecord {
  /** `123` for a job, `123_4` for task 4 of array job 123. */
  readonly id: string;
  /** Slurm's state name (PENDING, RUNNING, COMPLETED, CANCELLED, ...). */
  readonly state: string;
  /** squeue's reason (Resources, Dependency, DependencyNeverSatisfied, ...); empty when none. */
  readonly reason: string;
  /** squeue only: the job name and its batch script. */
  readonly name?: string;
  readonly script?: string;
}

/** Where a job is, as far as a user of the result folder cares. */
export type JobPhase = 'pending' | 'running' | 'completed' | 'failed';

/** The fields squeue prints, one job per line: id, state, reason, name, batch script. */
export const SQUEUE_FORMAT = '%i|%T|%r|%j|%o';

/** The lines a Slurm command printed, trimmed, without empty ones. */
export function outputLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export function parseSqueue(text: string): SlurmJobRecord[] {
  return outputLines(text).map((line) => {
    const [id, state, reason, name, script] = line.split('|');
    return {
      id,
      state: state ?? '',
      reason: reason === 'None' || reason === undefined ? '' : reason,
      ...(name ? { name } : {}),
      ...(script ? { script } : {}),
    };
  });
}

/** The fields `sacct -n -P -X -o JobID,State` prints; a state can read `CANCELLED by 1000`. */
export function parseSacct(text: string): SlurmJobRecord[] {
  return outputLines(text).map((line) => {
    const [id, state] = line.split('|');
    return { id, state: (state ?? '').split(' ')[0], reason: '' };
  });
}

const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'SUSPENDED', 'STOPPED']);

/** Every state that is neither waiting, running nor COMPLETED ended without success (FAILED, CANCELLED, TIMEOUT, ...). */
export function phaseOfSlurmState(state: string): JobPhase {
  if (PENDING.has(state)) return 'pending';
  if (RUNNING.has(state)) return 'running';
  if (state === 'COMPLETED') return 'completed';
  return 'failed';
}
