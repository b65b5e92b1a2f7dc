import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// Imports run one way: extension/cli -> worker -> analysis -> runtime -> bert -> graph/model/text/data.
// Each rule names the folders whose files must not import the folders listed after them.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const UPPER_CORE = ['src/core/analysis/', 'src/core/attribution/', 'src/core/report/', 'src/core/cluster/'];
const RULES: readonly { readonly from: readonly string[]; readonly not: readonly string[] }[] = [
  { from: ['src/core/'], not: ['src/worker/', 'src/extension/', 'src/cli/', 'src/protocol/'] },
  { from: ['src/worker/'], not: ['src/extension/', 'src/cli/'] },
  { from: ['src/core/runtime/'], not: UPPER_CORE },
  { from: ['src/core/bert/'], not: ['src/core/runtime/', ...UPPER_CORE] },
  {
    from: ['src/core/graph/', 'src/core/model/', 'src/core/text/', 'src/core/data/'],
    not: ['src/core/bert/', 'src/core/runtime/', ...UPPER_CORE],
  },
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** The repository-relative paths (without extension) of the project files `file` imports. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1];
    if (!specifier.startsWith('.')) continue;
    found.push(
      path
        .relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier))
        .split(path.sep)
        .join('/'),
    );
  }
  return found;
}

/** Every import that breaks a rule, as "file -> imported". */
function violations(): string[] {
  const out: string[] = [];
  for (const file of sourceFiles('src')) {
    for (const imported of importsOf(file)) {
      const target = `${imported}/`;
      for (const rule of RULES) {
        if (!rule.from.some((dir) => file.startsWith(dir))) continue;
        if (rule.not.some((dir) => target.startsWith(dir))) out.push(`${file} -> ${imported}`);
      }
    }
  }
  return out;
}

describe('layering', () => {
  it('reads the imports of a file, relative ones resolved from the repository root', () => {
    const ranker = importsOf('src/core/runtime/ranker.ts');
    assert.ok(ranker.includes('src/core/sessionOptions'), ranker.join(', '));
    assert.ok(
      ranker.some((p) => p.startsWith('src/core/bert/')),
      ranker.join(', '),
    );
    assert.ok(importsOf('src/extension/modelController.ts').includes('src/worker'));
  });

  it('has no import that climbs back up a layer', () => {
    assert.deepEqual(violations(), []);
  });
});
