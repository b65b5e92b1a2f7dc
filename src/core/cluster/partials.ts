/**
 * Whether shard `shard` (1..shards) has a complete partial result in the result folder. The analysis runner owns the
 * partial format (atomic write, checksum); the cluster code only asks this question, through the runner's own check.
 */
export type PartialCheck = (resultDir: string, shard: number, shards: number) => Promise<boolean>;
