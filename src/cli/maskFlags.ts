// The mask options `ranklens score` and `ranklens inspect` share: masks in the paper's words, several at once.
import { readFile } from 'node:fs/promises';
import { periodsToCommas } from '../core/analysis/period-mask/periodMask';
import {
  SEGMENT_SELECTORS,
  type HeadMaskSpec,
  type MaskSpec,
  type SelectorKind,
  type TokenSelector,
} from '../core/runtime/types';
import { loadTokenizer } from '../core/text';
import type { EncodedPair, TokenKind } from '../core/text/types';
import { UsageError, type ParsedArgs } from './args';

export const MASK_VALUES = ['mask-kind', 'layers', 'from', 'to', 'head-mask', 'masks'] as const;
export const MASK_FLAGS = ['replace-periods-with-commas'] as const;

export const MASK_USAGE = `  Masks (any number, combined):
  --mask KIND:A->B[@LAYERS]  (repeatable) KIND is token (key removed before softmax, the row renormalises) or
        attention (probability zeroed after softmax, no renormalising). A->B is named as Zhan et al. name it:
        the attention that weights A for B's context, so B's tokens are the ATTENDING side and A's the
        attended keys. "query->doc" masks passage tokens attending to the query. LAYERS: all (default), N,
        N-M or a comma list of transformer layers 1..L (0 is the embedding output).
        A, B: all, query, doc (passage tokens), period, cls, sep, sep-middle, sep-final, query-segment ([CLS],
        query, middle [SEP]), document-segment (passage, final [SEP]), comma lists of these, or pos:3,4.
        e.g. --mask attention:period->all (Table 1), --mask attention:query-segment->document-segment@1-6
        (Figure 4's query->doc in the first 6 layers).
  --mask-kind KIND --layers LAYERS --from SEL --to SEL  one mask with --from the ATTENDING side, --to the keys
        (LAYERS as for --mask: transformer layers 1..L).
  --head-mask L:H[,H][;L:H..]  silence heads H (1..H) of transformer layer L (1..L), e.g. 1:1,4;12:3.
  --masks FILE.json  {"masks": [{"kind", "layers": "all"|[1..L], "from", "to"}], "headMasks": [{"layer": 1..L,
        "heads": [1..H]}]}, numbered as above; "head_masks" is read as "headMasks", so the JSON score --json and
        inspect print reads back as a masks file.
  --replace-periods-with-commas  passage periods become "," tokens before scoring (Table 1's comma setting).`;

const KINDS: readonly TokenKind[] = ['cls', 'sep', 'query', 'doc', 'period', 'pad'];
const ALIASES: Readonly<Record<string, SelectorKind>> = {
  document: 'doc',
  passage: 'doc',
  periods: 'period',
};
const NAMES: readonly string[] = [...KINDS, ...SEGMENT_SELECTORS, ...Object.keys(ALIASES)];

/** "all", kinds and segments ("query,sep-final"), or positions ("pos:3,4"). */
export function parseSelector(text: string, option: string): TokenSelector {
  if (text === 'all') return 'all';
  if (text.startsWith('pos:')) {
    const positions = text.slice(4).split(',').map(Number);
    if (positions.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new UsageError(`--${option} ${text}: positions must be non-negative integers`);
    }
    return { positions };
  }
  const names = text.split(',').map((k) => k.trim());
  const bad = names.find((k) => !NAMES.includes(k));
  if (bad !== undefined) {
    throw new UsageError(
      `--${option}: unknown token selector "${bad}" (use all, pos:N,M or ${NAMES.join(', ')})`,
    );
  }
  return names.map((k) => ALIASES[k] ?? (k as SelectorKind));
}

/** "all", "3", "0-3", "0,2,5-7", as written (callers say what the numbers count). */
export function parseLayers(text: string, option = 'layers'): number[] | 'all' {
  if (text === 'all') return 'all';
  const layers: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--${option} ${text}: expected all, N, N-M or a comma list of those`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from) throw new UsageError(`--${option} ${text}: range ${part} runs backwards`);
    for (let l = from; l <= to; l++) layers.push(l);
  }
  return layers;
}

/**
 * Layers a mask applies to, counted as everywhere else in RankLens: 1..L are the transformer layers (layer 0 is
 * the embedding output, which has no attention to mask). Returns the graph's 0-based layer indices.
 */
export function parseMaskLayers(text: string, option = 'layers'): number[] | 'all' {
  const layers = parseLayers(text, option);
  if (layers === 'all') return layers;
  if (layers.includes(0))
    throw new UsageError(
      `--${option} ${text}: layer 0 is the embedding output, which has no attention to mask; masks take transformer layers 1..L`,
    );
  return layers.map((l) => l - 1);
}

/**
 * "1:1,4;12:3" = transformer layer 1's heads 1 and 4, layer 12's head 3: layers 1..L and heads 1..H, as RankLens
 * numbers them everywhere. Returns the graph's 0-based layer and head indices.
 */
export function parseHeadMasks(text: string): HeadMaskSpec[] {
  return text.split(';').map((part) => {
    const m = /^(\d+):(\d+(?:,\d+)*)$/.exec(part.trim());
    if (!m)
      throw new UsageError(
        `--head-mask ${text}: expected LAYER:HEAD[,HEAD][;LAYER:HEAD...], e.g. 1:1,4;12:3`,
      );
    const where = `--head-mask ${text}`;
    return headMaskIndices(Number(m[1]), m[2].split(',').map(Number), where);
  });
}

/** A head mask numbered for users (layer 1..L, heads 1..H) as the graph's 0-based indices; 0s are refused. */
function headMaskIndices(layer: number, heads: readonly number[], where: string): HeadMaskSpec {
  if (layer === 0)
    throw new UsageError(
      `${where}: layer 0 is the embedding output, which has no heads; head masks take transformer layers 1..L`,
    );
  if (heads.includes(0)) throw new UsageError(`${where}: heads are numbered 1..H (head 0 does not exist)`);
  return { layer: layer - 1, heads: heads.map((h) => h - 1) };
}

/** The masks as users number them (transformer layers 1..L, heads 1..H): what score/inspect print. */
export function masksAsNumbered(masks: readonly MaskSpec[]): MaskSpec[] {
  return masks.map((m) => ({ ...m, layers: m.layers === 'all' ? 'all' : m.layers.map((l) => l + 1) }));
}

export function headMasksAsNumbered(headMasks: readonly HeadMaskSpec[]): HeadMaskSpec[] {
  return headMasks.map((hm) => ({ layer: hm.layer + 1, heads: hm.heads.map((h) => h + 1) }));
}

/** `KIND:A->B[@LAYERS]` in the paper's direction: B attends, A is attended (MaskSpec from = B, to = A). */
export function parseMaskFlag(text: string): MaskSpec {
  const m = /^(token|attention):([^>]+?)->([^@]+?)(?:@(.+))?$/.exec(text.trim());
  if (!m)
    throw new UsageError(
      `--mask ${text}: expected KIND:A->B[@LAYERS], e.g. attention:query->doc@1-4 (KIND token or attention)`,
    );
  return {
    kind: m[1] as MaskSpec['kind'],
    layers: m[4] === undefined ? 'all' : parseMaskLayers(m[4], 'mask'),
    from: parseSelector(m[3], 'mask'),
    to: parseSelector(m[2], 'mask'),
  };
}

/** Takes every `--mask X` / `--mask=X` out of argv (the option may repeat), leaving the rest for parseArgs. */
export function takeMaskFlags(argv: readonly string[]): { rest: string[]; masks: MaskSpec[] } {
  const rest: string[] = [];
  const masks: MaskSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--mask') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('--mask needs a value');
      masks.push(parseMaskFlag(value));
    } else if (arg.startsWith('--mask=')) masks.push(parseMaskFlag(arg.slice('--mask='.length)));
    else rest.push(arg);
  }
  return { rest, masks };
}

/**
 * Checks a masks JSON file: { "masks": [MaskSpec...], "headMasks": [...] } (or "head_masks", as score --json and
 * inspect print it) or a bare MaskSpec array, with layers (transformer layers 1..L) and heads (1..H) numbered as
 * users number them. Returns the graph's 0-based indices.
 */
export function parseMaskFile(json: unknown, file: string): { masks: MaskSpec[]; headMasks: HeadMaskSpec[] } {
  const body = Array.isArray(json)
    ? { masks: json }
    : (json as { masks?: unknown; headMasks?: unknown; head_masks?: unknown });
  if (typeof body !== 'object' || body === null) throw new UsageError(`${file}: expected an object or array`);
  const masks = (body.masks ?? []) as unknown[];
  // score --json and inspect print "head_masks": their output reads back as a masks file.
  const headMasks = (body.headMasks ??
    ('head_masks' in body ? body.head_masks : undefined) ??
    []) as unknown[];
  if (!Array.isArray(masks) || !Array.isArray(headMasks)) {
    throw new UsageError(`${file}: "masks" and "headMasks" must be arrays`);
  }
  const counts = (v: unknown): v is number[] =>
    Array.isArray(v) && v.every((n) => Number.isInteger(n) && (n as number) >= 0);
  const parsedMasks = masks.map((m, i): MaskSpec => {
    const spec = m as Partial<MaskSpec>;
    const ok =
      (spec.kind === 'token' || spec.kind === 'attention') &&
      (spec.layers === 'all' || counts(spec.layers)) &&
      spec.from !== undefined &&
      spec.to !== undefined;
    if (!ok) {
      throw new UsageError(
        `${file}: masks[${i}] must be {"kind": "token"|"attention", "layers": "all"|[N...] (transformer layers 1..L), "from": SELECTOR, "to": SELECTOR}`,
      );
    }
    const layers = spec.layers as MaskSpec['layers'];
    if (layers !== 'all' && layers.includes(0))
      throw new UsageError(
        `${file}: masks[${i}].layers: layer 0 is the embedding output, which has no attention to mask; masks take transformer layers 1..L`,
      );
    return { ...(spec as MaskSpec), layers: layers === 'all' ? 'all' : layers.map((l) => l - 1) };
  });
  const parsedHeadMasks = headMasks.map((h, i): HeadMaskSpec => {
    const spec = h as Partial<HeadMaskSpec> | null;
    if (typeof spec?.layer !== 'number' || !counts([spec.layer]) || !counts(spec.heads)) {
      throw new UsageError(
        `${file}: headMasks[${i}] must be {"layer": N (transformer layer 1..L), "heads": [N...] (heads 1..H)}`,
      );
    }
    return headMaskIndices(spec.layer, spec.heads, `${file}: headMasks[${i}]`);
  });
  return { masks: parsedMasks, headMasks: parsedHeadMasks };
}

/** Every mask the options describe: --mask flags (already taken), --masks FILE, --mask-kind/..., --head-mask. */
export async function maskOptions(
  args: ParsedArgs,
  flagMasks: readonly MaskSpec[] = [],
): Promise<{ masks: MaskSpec[]; headMasks: HeadMaskSpec[] }> {
  const masks: MaskSpec[] = [...flagMasks];
  const headMasks: HeadMaskSpec[] = [];
  const file = args.options.get('masks');
  if (typeof file === 'string') {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--masks ${file}: ${(e as Error).message}`);
    }
    const parsed = parseMaskFile(json, file);
    masks.push(...parsed.masks);
    headMasks.push(...parsed.headMasks);
  }
  const kind = args.options.get('mask-kind');
  if (kind !== undefined) {
    if (kind !== 'token' && kind !== 'attention')
      throw new UsageError('--mask-kind must be token or attention');
    const get = (name: string) => {
      const v = args.options.get(name);
      if (typeof v !== 'string') throw new UsageError(`--mask-kind needs --${name}`);
      return v;
    };
    masks.push({
      kind,
      layers: parseMaskLayers(get('layers')),
      from: parseSelector(get('from'), 'from'),
      to: parseSelector(get('to'), 'to'),
    });
  } else if (['layers', 'from', 'to'].some((o) => args.options.has(o))) {
    throw new UsageError('--layers/--from/--to describe a mask and need --mask-kind');
  }
  const heads = args.options.get('head-mask');
  if (typeof heads === 'string') headMasks.push(...parseHeadMasks(heads));
  return { masks, headMasks };
}

/** The pair with passage periods replaced by "," when --replace-periods-with-commas is given. */
export function withPeriodOption(args: ParsedArgs, pair: EncodedPair, modelDir: string): EncodedPair {
  if (!args.options.has('replace-periods-with-commas')) return pair;
  const commaId = loadTokenizer(modelDir).vocab.id(',');
  if (commaId === undefined) throw new UsageError(`${modelDir}: the vocabulary has no "," token`);
  return periodsToCommas(pair, commaId);
}
