import type { InspectResult } from '../../core/runtime/types';
import { MASK_USAGE } from '../maskFlags';
import { maskedPairJson, runOnMaskedPair } from '../modelPair';

export const usage = `ranklens inspect [--model DIR] --query TEXT --passage TEXT [--max-length N] [--threads N] [--cache-dir DIR]
        [MASK OPTIONS]
  JSON with tokens, ids, logits, score, attentions [layer][head][i][j] (i attends to j) and
  hidden_states [layer+1][pos][unit], after the masks.
${MASK_USAGE}`;

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** [d0][d1]...[last] nested arrays of a row-major buffer, rounded to 1e-6. */
function nest(data: Float32Array, dims: readonly number[]): unknown {
  const build = (offset: number, axis: number): unknown => {
    if (axis === dims.length - 1) return Array.from(data.subarray(offset, offset + dims[axis]), round);
    const stride = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[axis] }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}

export function inspectJson(result: InspectResult) {
  const n = result.seqLength;
  return {
    logits: result.logits,
    score: result.score,
    sigmoid: result.sigmoid,
    attentions: nest(result.attentions, [result.numLayers, result.numHeads, n, n]),
    hidden_states: nest(result.hiddenStates, [result.numLayers + 1, n, result.hiddenSize]),
  };
}

export async function run(argv: string[]): Promise<number> {
  return runOnMaskedPair('inspect', argv, async (masked) => {
    const result = await masked.ranker.inspect(masked.pair, masked.options);
    process.stdout.write(JSON.stringify({ ...maskedPairJson(masked), ...inspectJson(result) }) + '\n');
  });
}
