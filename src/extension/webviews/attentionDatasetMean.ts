import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { AttentionShares } from '../../protocol/attention';

const KINDS = ['cls', 'sep', 'period', 'query', 'doc'] as const;
const ALIASES: Record<(typeof KINDS)[number], readonly string[]> = {
  cls: ['cls', '[CLS]'],
  sep: ['sep', '[SEP]'],
  period: ['period', 'periods'],
  query: ['query'],
  doc: ['doc', 'document'],
};

/**
 * The dataset mean of the attention analysis (Figure 1), if one has been run into
 * <workspace>/.ranklens/analyses/<something with "attention">/result.json. The explorer draws it beside
 * the pair's own shares. Read leniently — per kind an array over layers, either as
 * `{ shares: { cls: [...], ... } }` (at the top or under `result`) or as `{ layers: [{ cls, sep, ... }] }` —
 * and ignored if it has neither shape, so a result of another format never breaks the view.
 */
export function readAttentionDatasetMean(
  analysesDir: string,
): { source: string; shares: AttentionShares } | undefined {
  if (!existsSync(analysesDir)) return undefined;
  const candidates = readdirSync(analysesDir)
    .filter((name) => /attention/i.test(name))
    .map((name) => path.join(analysesDir, name, 'result.json'))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of candidates) {
    try {
      const shares = sharesFrom(JSON.parse(readFileSync(file, 'utf8')) as unknown);
      if (shares) return { source: path.relative(path.dirname(analysesDir), file), shares };
    } catch {
      // Not readable as JSON: look at the next one.
    }
  }
  return undefined;
}

function sharesFrom(json: unknown): AttentionShares | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as Record<string, unknown>;
  for (const inner of [o.result, o.mean, o]) {
    if (typeof inner !== 'object' || inner === null) continue;
    const r = inner as Record<string, unknown>;
    const byKind = asByKind(r.shares) ?? asByKind(r);
    if (byKind) return byKind;
    if (Array.isArray(r.layers)) {
      const rows = r.layers.map((row) => asRow(row));
      if (rows.length > 0 && rows.every((row) => row !== undefined)) {
        const shares = Object.fromEntries(KINDS.map((k) => [k, rows.map((row) => row![k])]));
        return shares as unknown as AttentionShares;
      }
    }
  }
  return undefined;
}

function pick(o: Record<string, unknown>, kind: (typeof KINDS)[number]): unknown {
  for (const name of ALIASES[kind]) if (name in o) return o[name];
  return undefined;
}

function asByKind(value: unknown): AttentionShares | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const arrays = KINDS.map((k) => pick(o, k));
  if (!arrays.every((a) => Array.isArray(a) && a.every((x) => typeof x === 'number'))) return undefined;
  return Object.fromEntries(KINDS.map((k, i) => [k, arrays[i]])) as unknown as AttentionShares;
}

function asRow(value: unknown): Record<(typeof KINDS)[number], number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const numbers = KINDS.map((k) => pick(o, k));
  if (!numbers.every((n) => typeof n === 'number')) return undefined;
  return Object.fromEntries(KINDS.map((k, i) => [k, numbers[i]])) as Record<(typeof KINDS)[number], number>;
}
