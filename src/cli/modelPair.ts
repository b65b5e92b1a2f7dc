// What `ranklens score` and `ranklens inspect` share: the model and pair options with the masks, loading the model
// and encoding the pair, and the pair's JSON (which `ranklens attribute` prints too).
import { Ranker } from '../core/runtime/ranker';
import { loadPairEncoder } from '../core/runtime/text';
import type { HeadMaskSpec, MaskSpec } from '../core/runtime/types';
import type { EncodedPair } from '../core/text/types';
import {
  cacheDirOf,
  maxLengthOption,
  optionalText,
  parseArgs,
  precisionOption,
  required,
  threadsOption,
  type ParsedArgs,
} from './args';
import { reportingErrors } from './io';
import { bundledModelDir } from './shippedFolders';
import {
  MASK_FLAGS,
  MASK_VALUES,
  headMasksAsNumbered,
  maskOptions,
  masksAsNumbered,
  takeMaskFlags,
  withPeriodOption,
} from './maskFlags';

const MODEL_VALUES = ['model', 'query', 'passage', 'max-length', 'threads', 'cache-dir'] as const;

interface LoadedPair {
  readonly ranker: Ranker;
  readonly pair: EncodedPair;
  /** The checkpoint folder the model came from. */
  readonly modelDir: string;
}

/** Loads the model (--model, else the bundled one, as `ranklens analyze`) and encodes --query/--passage. */
async function loadModelAndPair(args: ParsedArgs): Promise<LoadedPair> {
  const model = optionalText(args, 'model') ?? bundledModelDir();
  const [query, passage] = [required(args, 'query'), required(args, 'passage')];
  const maxLength = maxLengthOption(args);
  const threads = threadsOption(args);
  // Only `score` takes --precision (inspection is exact): elsewhere the option is refused by parseArgs.
  const precision = precisionOption(args);
  const ranker = await Ranker.load(model, { threads, maxLength, cacheDir: cacheDirOf(args), precision });
  // Pairs longer than the model allows are truncated by the encoder (monoBERT's 256 by default).
  const encode = loadPairEncoder(model, { maxLength: Math.min(maxLength ?? 256, ranker.info.maxLength) });
  return { ranker, pair: encode(query, passage), modelDir: model };
}

export interface MaskedPair extends LoadedPair {
  readonly args: ParsedArgs;
  /** The masks the options describe, for the ranker and for the JSON. */
  readonly options: { readonly masks: MaskSpec[]; readonly headMasks: HeadMaskSpec[] };
}

/**
 * Parses the model, pair, mask and --json options, loads the model, encodes the pair (periods replaced when
 * asked), runs `use` on them and disposes of the model; errors other than usage become one line and exit 1.
 */
export async function runOnMaskedPair(
  command: string,
  argv: readonly string[],
  use: (masked: MaskedPair) => Promise<void>,
): Promise<number> {
  const { rest, masks } = takeMaskFlags(argv);
  const values = [...MODEL_VALUES, ...MASK_VALUES, ...(command === 'score' ? ['precision'] : [])];
  const args = parseArgs(rest, { values, flags: ['json', ...MASK_FLAGS] });
  const options = await maskOptions(args, masks);
  return reportingErrors(command, async () => {
    const loaded = await loadModelAndPair(args);
    const { ranker } = loaded;
    const pair = withPeriodOption(args, loaded.pair, loaded.modelDir);
    try {
      await use({ ranker, pair, modelDir: loaded.modelDir, args, options });
      return 0;
    } finally {
      await ranker.dispose();
    }
  });
}

/**
 * The pair's JSON and the masks it was scored under, as score --json and inspect print them: layers and heads
 * numbered as the options take them (transformer layers 1..L, heads 1..H), so `{"masks": ..., "headMasks": ...}`
 * made of them reads back through --masks.
 */
export function maskedPairJson({ pair, options }: MaskedPair) {
  return {
    ...pairJson(pair),
    masks: masksAsNumbered(options.masks),
    head_masks: headMasksAsNumbered(options.headMasks),
  };
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
