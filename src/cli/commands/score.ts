import { defaultGraphCacheDir } from '../../core/bert/cache';
import { Ranker } from '../../core/runtime/ranker';
import { loadPairEncoder } from '../../core/runtime/text';
import type { EncodedPair } from '../../core/text/types';
import { UsageError, optionalNumber, parseArgs, required, type ParsedArgs } from '../args';
import { reportError } from '../io';
import {
  MASK_FLAGS,
  MASK_USAGE,
  MASK_VALUES,
  maskOptions,
  takeMaskFlags,
  withPeriodOption,
} from '../maskFlags';

/** Options shared by `ranklens score` and `ranklens inspect`. */
export const MODEL_VALUES = ['model', 'query', 'passage', 'max-length', 'threads', 'cache-dir'] as const;

/** --cache-dir, else this user's cache ($XDG_CACHE_HOME/ranklens/graphs or ~/.cache/ranklens/graphs). */
export function cacheDirOf(args: ParsedArgs): string {
  const given = args.options.get('cache-dir');
  return typeof given === 'string' ? given : defaultGraphCacheDir();
}

export function positiveInt(args: ParsedArgs, name: string): number | undefined {
  const n = optionalNumber(args, name);
  if (n !== undefined && (!Number.isInteger(n) || n < 1))
    throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

export const usage = `ranklens score --model DIR --query TEXT --passage TEXT [--json] [--max-length N] [--threads N] [--cache-dir DIR]
        [MASK OPTIONS]
  Relevance score of one query/passage pair with a BERT cross-encoder checkpoint (config.json +
  model.safetensors + vocab.txt/tokenizer.json). --json adds tokens, ids and logits. Compiled graphs are
  cached in --cache-dir (default $XDG_CACHE_HOME/ranklens/graphs or ~/.cache/ranklens/graphs, at most 8 GiB),
  keyed by a hash of every weight byte and verified before use. With masks, the score under the masks (no
  attentions are computed or printed; \`ranklens inspect\` shows them).
${MASK_USAGE}`;

export interface LoadedPair {
  readonly ranker: Ranker;
  readonly pair: EncodedPair;
}

/** Loads the model and encodes --query/--passage; shared with `ranklens inspect`. */
export async function loadModelAndPair(args: ParsedArgs): Promise<LoadedPair> {
  const model = required(args, 'model');
  const [query, passage] = [required(args, 'query'), required(args, 'passage')];
  const maxLength = positiveInt(args, 'max-length');
  const threads = positiveInt(args, 'threads');
  const ranker = await Ranker.load(model, { threads, maxLength, cacheDir: cacheDirOf(args) });
  // Pairs longer than the model allows are truncated by the encoder (monoBERT's 256 by default).
  const encode = loadPairEncoder(model, { maxLength: Math.min(maxLength ?? 256, ranker.info.maxLength) });
  return { ranker, pair: encode(query, passage) };
}

export function pairJson(pair: EncodedPair) {
  return {
    tokens: pair.tokens.map((t) => ({
      text: t.text,
      id: t.id,
      kind: t.kind,
      segment: t.segment,
      start: t.start,
      end: t.end,
    })),
    input_ids: Array.from(pair.inputIds),
    token_type_ids: Array.from(pair.tokenTypeIds),
    query_truncated: pair.queryTruncated,
    passage_truncated: pair.passageTruncated,
  };
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

export async function run(argv: string[]): Promise<number> {
  const { rest, masks } = takeMaskFlags(argv);
  const args = parseArgs(rest, { values: [...MODEL_VALUES, ...MASK_VALUES], flags: ['json', ...MASK_FLAGS] });
  const options = await maskOptions(args, masks);
  return reportingErrors('score', async () => {
    const loaded = await loadModelAndPair(args);
    const { ranker } = loaded;
    const pair = withPeriodOption(args, loaded.pair, required(args, 'model'));
    try {
      const [result] = await ranker.score([pair], options);
      if (args.options.has('json')) {
        const body = {
          ...pairJson(pair),
          masks: options.masks,
          head_masks: options.headMasks,
          logits: result.logits,
          score: result.score,
          sigmoid: result.sigmoid,
        };
        process.stdout.write(JSON.stringify(body, null, 2) + '\n');
      } else {
        const extra = result.sigmoid === undefined ? '' : ` (sigmoid ${result.sigmoid.toFixed(6)})`;
        process.stdout.write(`${result.score.toFixed(6)}${extra}\n`);
      }
      return 0;
    } finally {
      await ranker.dispose();
    }
  });
}
