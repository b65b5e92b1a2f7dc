import { MASK_USAGE } from '../maskFlags';
import { maskedPairJson, runOnMaskedPair } from '../modelPair';

export const usage = `ranklens score [--model DIR] --query TEXT --passage TEXT [--json] [--max-length N] [--threads N] [--cache-dir DIR]
        [--precision fp32|int8] [MASK OPTIONS]
  Relevance score of one query/passage pair with a BERT cross-encoder checkpoint (config.json +
  model.safetensors + vocab.txt/tokenizer.json). --json adds tokens, ids, logits and the precision. Compiled graphs are
  cached in --cache-dir (default $XDG_CACHE_HOME/ranklens/graphs or ~/.cache/ranklens/graphs, at most 8 GiB),
  keyed by a hash of every weight byte and verified before use. With masks, the score under the masks (no
  attentions are computed or printed; \`ranklens inspect\` shows them). --precision int8 scores with int8
  weight products (see \`ranklens analyze rerank\`).
${MASK_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  return runOnMaskedPair('score', argv, async (masked) => {
    const { ranker, pair, args, options } = masked;
    const [result] = await ranker.score([pair], options);
    if (args.options.has('json')) {
      const body = {
        ...maskedPairJson(masked),
        // A score read from a pipe says which arithmetic made it.
        precision: ranker.info.precision ?? 'fp32',
        logits: result.logits,
        score: result.score,
        sigmoid: result.sigmoid,
      };
      process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    } else {
      const extra = result.sigmoid === undefined ? '' : ` (sigmoid ${result.sigmoid.toFixed(6)})`;
      process.stdout.write(`${result.score.toFixed(6)}${extra}\n`);
    }
  });
}
