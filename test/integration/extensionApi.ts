import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSplit } from '../../src/extension/commands/analyze';
import type { RankLensApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'ranklens.ranklens';

/** The extension under test, activated: the API its tests drive it through. */
export async function api(): Promise<RankLensApi> {
  const extension = vscode.extensions.getExtension<RankLensApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this extension host`);
  return extension.activate();
}

/** A split of the sample as its files name it: queries.NAME.tsv, qrels.NAME.txt, run.NAME.bm25.tsv. */
export function sampleSplit(folder: string, name: string): DatasetSplit {
  return {
    name,
    queries: path.join(folder, `queries.${name}.tsv`),
    qrels: path.join(folder, `qrels.${name}.txt`),
    run: path.join(folder, `run.${name}.bm25.tsv`),
  };
}
