import { readFile } from 'node:fs/promises';
import type { HeadMaskSpec, InspectResult, MaskSpec } from '../../core/runtime/types';
import type { TokenKind } from '../../core/text/types';
import type { TokenSelector } from '../../core/runtime/types';
import { UsageError, parseArgs, type ParsedArgs } from '../args';
import { loadModelAndPair, MODEL_VALUES, pairJson, reportingErrors } from './score';

export const usage = `ranklens inspect --model DIR --query TEXT --passage TEXT [--max-length N] [--threads N] [--cache-dir DIR]
        [--mask-kind token|attention --layers all|N|N-M[,..] --from SEL --to SEL] [--head-mask L:H[,H][;..]]
        [--masks FILE.json]
  JSON with tokens, ids, logits, score, attentions [layer][head][i][j] and hidden_states [layer+1][pos][unit].
  SEL is all, token kinds (query,doc,period,cls,sep) or positions (pos:3,4). A token mask removes keys
  before softmax (rows renormalise); an attention mask zeroes probabilities after it (no renormalising).
  FILE.json: {"masks": [{"kind", "layers", "from", "to"}...], "headMasks": [{"layer", "heads"}...]}.`;

const KINDS: readonly TokenKind[] = ['cls', 'sep', 'query', 'doc', 'period', 'pad'];

/** "all", kinds ("query,doc") or positions ("pos:3,4"). */
export function parseSelector(text: string, option: string): TokenSelector {
  if (text === 'all') return 'all';
  if (text.startsWith('pos:')) {
    const positions = text.slice(4).split(',').map(Number);
    if (positions.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new UsageError(`--${option} ${text}: positions must be non-negative integers`);
    }
    return { positions };
  }
  const kinds = text.split(',');
  const bad = kinds.find((k) => !KINDS.includes(k as TokenKind));
  if (bad !== undefined) {
    throw new UsageError(
      `--${option}: unknown token kind "${bad}" (use all, pos:N,M or ${KINDS.join(', ')})`,
    );
  }
  return kinds as TokenKind[];
}

/** "all", "3", "0-3", "0,2,5-7". */
export function parseLayers(text: string): number[] | 'all' {
  if (text === 'all') return 'all';
  const layers: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--layers ${text}: expected all, N, N-M or a comma list of those`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from) throw new UsageError(`--layers ${text}: range ${part} runs backwards`);
    for (let l = from; l <= to; l++) layers.push(l);
  }
  return layers;
}

/** "1:0,3;4:2" = layer 1 heads 0 and 3, layer 4 head 2. */
export function parseHeadMasks(text: string): HeadMaskSpec[] {
  return text.split(';').map((part) => {
    const m = /^(\d+):(\d+(?:,\d+)*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--head-mask ${text}: expected LAYER:HEAD[,HEAD][;LAYER:HEAD...]`);
    return { layer: Number(m[1]), heads: m[2].split(',').map(Number) };
  });
}

/** Checks a masks JSON file: { "masks": [MaskSpec...], "headMasks": [...] } or a bare MaskSpec array. */
export function parseMaskFile(json: unknown, file: string): { masks: MaskSpec[]; headMasks: HeadMaskSpec[] } {
  const body = Array.isArray(json) ? { masks: json } : (json as { masks?: unknown; headMasks?: unknown });
  if (typeof body !== 'object' || body === null) throw new UsageError(`${file}: expected an object or array`);
  const masks = (body.masks ?? []) as unknown[];
  const headMasks = (body.headMasks ?? []) as unknown[];
  if (!Array.isArray(masks) || !Array.isArray(headMasks)) {
    throw new UsageError(`${file}: "masks" and "headMasks" must be arrays`);
  }
  masks.forEach((m, i) => {
    const spec = m as Partial<MaskSpec>;
    const ok =
      (spec.kind === 'token' || spec.kind === 'attention') &&
      (spec.layers === 'all' || (Array.isArray(spec.layers) && spec.layers.every(Number.isInteger))) &&
      spec.from !== undefined &&
      spec.to !== undefined;
    if (!ok) {
      throw new UsageError(
        `${file}: masks[${i}] must be {"kind": "token"|"attention", "layers": "all"|[N...], "from": SELECTOR, "to": SELECTOR}`,
      );
    }
  });
  return { masks: masks as MaskSpec[], headMasks: headMasks as HeadMaskSpec[] };
}

async function maskOptions(args: ParsedArgs): Promise<{ masks: MaskSpec[]; headMasks: HeadMaskSpec[] }> {
  const masks: MaskSpec[] = [];
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
      layers: parseLayers(get('layers')),
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
  const args = parseArgs(argv, {
    values: [...MODEL_VALUES, 'mask-kind', 'layers', 'from', 'to', 'head-mask', 'masks'],
    flags: ['json'],
  });
  const options = await maskOptions(args);
  return reportingErrors('inspect', async () => {
    const { ranker, pair } = await loadModelAndPair(args);
    try {
      const result = await ranker.inspect(pair, options);
      const body = {
        ...pairJson(pair),
        masks: options.masks,
        head_masks: options.headMasks,
        ...inspectJson(result),
      };
      process.stdout.write(JSON.stringify(body) + '\n');
      return 0;
    } finally {
      await ranker.dispose();
    }
  });
}
