import * as path from 'node:path';
import * as fs from 'node:fs';

/** Repository root (this file lives in test/support). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The real MS MARCO / BERT / Zhan et al. material that sits beside the repository (../shared/data). */
export const SHARED_DATA =
  process.env.RANKLENS_SHARED_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');

export function sharedFile(...parts: string[]): string {
  const p = path.join(SHARED_DATA, ...parts);
  if (!fs.existsSync(p))
    throw new Error(`test data missing: ${p} (set RANKLENS_SHARED_DATA to ../shared/data)`);
  return p;
}

export const BERT_VOCAB = (): string => sharedFile('bert', 'bert-base-uncased-vocab.txt');

/** The model RankLens ships as its default (the extension's and the CLI's model without a setting). */
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, 'models', 'ranklens-minilm-l6');
