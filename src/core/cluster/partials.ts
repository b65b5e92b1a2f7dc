import { readCheckedFile } from '../analysis/checkedFile';
import { PARTIAL_FORMAT, partialPath } from '../analysis/runner';

/**
 * Whether shard k (1..N) left a complete partial in the result folder, checked exactly as `ranklens merge` checks
 * it (the runner's checked-file reader: format and checksum). A shard killed while writing left either no file or
 * only a temporary one (the runner writes atomically), so it counts as not done and is redone.
 */
export async function isValidPartial(resultDir: string, shard: number, shards: number): Promise<boolean> {
  const read = await readCheckedFile(partialPath(resultDir, { index: shard, count: shards }), PARTIAL_FORMAT);
  return read.ok;
}
