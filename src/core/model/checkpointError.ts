/** A checkpoint RankLens cannot run, with a message that says which file and what was expected. */
export class CheckpointError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}
