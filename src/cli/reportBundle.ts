import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The report bundle built next to the CLI bundle (out/webview/report-standalone.js), or undefined when it was
 * not built (`npm run build` builds it).
 */
export function findReportBundle(): string | undefined {
  for (const up of ['.', '..', path.join('..', '..', '..', 'out'), path.join('..', '..', 'out')]) {
    const file = path.resolve(__dirname, up, 'webview', 'report-standalone.js');
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return undefined;
}
