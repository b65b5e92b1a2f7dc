/**
 * Something about a cluster run the user has to act on (a partition that does not exist, sbatch missing, a result
 * folder that already holds a run), said in one line. Nothing has been submitted when it is thrown before submission.
 */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}
