import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { comparedResults, type ComparedResults } from './compareModels';
import { REPORT_ANALYSES } from './runReport';

/**
 * Another model's results in a folder: DIR/result.json (one analysis's folder), else DIR/<analysis>/result.json
 * for every analysis of a report. Throws, naming the folder or file, when there is none or one is not a result.
 */
export function readComparedFolder(dir: string): ComparedResults {
  const candidates = [
    path.join(dir, 'result.json'),
    ...REPORT_ANALYSES.map((n) => path.join(dir, n, 'result.json')),
  ];
  const files = candidates
    .filter((f) => existsSync(f))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  if (files.length === 0)
    throw new Error(
      `${dir}: no result.json there nor in its analysis folders (${REPORT_ANALYSES.join(', ')})`,
    );
  return comparedResults(files);
}
