import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** The themes every surface is looked at in (ids as VS Code names them). */
export const THEMES = [
  { id: 'Default Light Modern', slug: 'light', bodyClass: 'vscode-light' },
  { id: 'Default Dark Modern', slug: 'dark', bodyClass: 'vscode-dark' },
  { id: 'Default High Contrast', slug: 'high-contrast', bodyClass: 'vscode-high-contrast' },
] as const;
export type Theme = (typeof THEMES)[number];

export async function setTheme(theme: Theme): Promise<void> {
  await vscode.workspace
    .getConfiguration('workbench')
    .update('colorTheme', theme.id, vscode.ConfigurationTarget.Global);
}

/**
 * A screenshot of the whole workbench into test-results/<name>.png, taken by the e2e driver
 * (test/e2e/codeServer.mjs), which watches the extension host's log for this line; it can first drag the
 * side bar to `sidebarWidth` pixels (for side-bar views), and `clip` the picture to the editor or side bar. Without the driver
 * (VS Code through @vscode/test-electron) there is no one to take it, and this returns at once.
 */
export async function screenshot(
  name: string,
  options: {
    readonly settleMs?: number;
    readonly sidebarWidth?: number;
    readonly clip?: 'editor' | 'sidebar';
  } = {},
): Promise<string | undefined> {
  const dir = process.env.RANKLENS_SCREENSHOT_DIR;
  if (!dir) return undefined;
  const done = path.join(dir, `${name}.done`);
  rmSync(done, { force: true });
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 600)); // let the webview paint
  const sidebar = options.sidebarWidth ? ` sidebar=${options.sidebarWidth}` : '';
  console.log(`RANKLENS_SCREENSHOT ${name}${sidebar}${options.clip ? ` clip=${options.clip}` : ''}`);
  const until = Date.now() + 20_000;
  while (!existsSync(done)) {
    if (Date.now() > until) throw new Error(`the e2e driver did not take screenshot ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  rmSync(done, { force: true });
  return path.join(dir, `${name}.png`);
}
