import type { InspectResult } from '../../core/runtime/types';
import { MASK_USAGE } from '../maskFlags';
import { maskedPairJson, runOnMaskedPair } from '../modelPair';

export const usage = `ranklens inspect [--model DIR] --query TEXT --passage TEXT [--max-length N] [--threads N] [--cache-dir DIR]
        [MASK OPTIONS]
  JSON with tokens, ids, logits, score, attentions and hidden states after the masks: attentions[l-1][h-1][i][j]
  is how much token i attends to token j in transformer layer l (1..L), head h (1..H); hidden_states[0][pos][unit]
  is the embedding output and hidden_states[l] layer l's output (the JSON says so under "numbering").
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

/** How the JSON's arrays count layers and heads: JSON arrays start at 0, RankLens's layers and heads at 1. */
export const INSPECT_NUMBERING =
  'attentions[l-1][h-1][i][j]: transformer layer l (1..L), head h (1..H), token i attending to token j; ' +
  "hidden_states[0]: the embedding output, hidden_states[l]: layer l's output; masks: layers 1..L, heads 1..H";

export function inspectJson(result: InspectResult) {
  const n = result.seqLength;
  return {
    numbering: INSPECT_NUMBERING,
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
