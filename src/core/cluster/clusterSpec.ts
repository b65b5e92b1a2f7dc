/** What Slurm is asked for, for every shard (and, without the GPU, for the merge job). */
export interface SlurmResources {
  /** `--partition`; Slurm's default partition when absent. */
  readonly partition?: string;
  /** `--gres` for the shard jobs only (the merge job only reads files), e.g. `gpu:1`. */
  readonly gres?: string;
  /** `--time` for each job, in any of Slurm's formats (`2:00:00`, `1-12`, `90`). */
  readonly time?: string;
  /** `--cpus-per-task` of a shard; the analysis uses this many onnxruntime threads. */
  readonly cpusPerTask: number;
  /** More sbatch options, each one word as sbatch takes it (`--account=ir`, `--qos=short`), for every job. */
  readonly sbatchArgs: readonly string[];
  /** Shell lines run before ranklens in every job, shards and merge (`module load cuda/12.4`, `source venv/bin/activate`). */
  readonly setup: readonly string[];
}

/** One analysis split into shards, run as a Slurm array job plus a merge job. */
export interface ClusterAnalysisSpec {
  /** The analysis name `ranklens analyze` takes (attention, period-mask, ...). */
  readonly analysis: string;
  /** The analysis options exactly as given (dataset files, sample size, device), without --out and --shard. */
  readonly analyzeArgs: readonly string[];
  /** Absolute path of the result folder: partials, result.json, and slurm/ with scripts, logs and the job record. */
  readonly resultDir: string;
  readonly shards: number;
  /**
   * How a compute node starts ranklens, e.g. [node, /path/bin/ranklens.js]; the analysis arguments follow. The
   * folders must be visible at the same paths on the compute nodes (a shared file system, as on every cluster).
   */
  readonly command: readonly string[];
  /** Folder the jobs run in (relative paths in analyzeArgs are relative to it). */
  readonly workDir: string;
  readonly resources: SlurmResources;
}
