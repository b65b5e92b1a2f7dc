import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

/** What the e2e driver (test/e2e/codeServer.mjs pressKeys) is asked to do in a webview, keyboard only. */
export interface KeyPresses {
  /** A selector that only the target webview's document has (default: `tabTo`). */
  readonly webview?: string;
  /** Tab (Shift+Tab with `back`) until this element has focus: it must be in the Tab order. */
  readonly tabTo?: string;
  readonly back?: boolean;
  /** Then these keys, one by one (playwright names: 'Enter', 'ArrowDown', ' '). */
  readonly keys?: readonly string[];
  readonly maxTabs?: number;
  /**
   * Instead: in the focused side-bar tree, walk with the keyboard to these rows in turn (by text), expanding
   * them on the way, and press Enter on the last (selects it).
   */
  readonly treeRows?: readonly string[];
}

export interface FocusedElement {
  readonly tag: string;
  readonly id: string;
  readonly className: string;
  readonly text: string;
  readonly outlineStyle: string;
  readonly outlineWidth: string;
  readonly outlineColor: string;
  /** The theme's --vscode-focusBorder, as the webview has it. */
  readonly focusBorder: string;
}

export interface KeyAnswer {
  readonly tabs: number;
  /** The focused element once `tabTo` was reached (before the keys). */
  readonly focus: FocusedElement | null;
}

/** Whether a driver that can press keys in the browser runs this suite (code-server + Chromium). */
export const canPressKeys = (): boolean => process.env.RANKLENS_SCREENSHOT_DIR !== undefined;

/**
 * Presses keys in a webview as a keyboard-only user would, through the e2e driver, which watches the
 * extension host's log for this line (as for screenshots). The webview must have keyboard focus first
 * (reveal the panel, or run the view's focus command).
 */
export async function pressKeys(name: string, presses: KeyPresses): Promise<KeyAnswer> {
  const dir = process.env.RANKLENS_SCREENSHOT_DIR;
  if (!dir) throw new Error('no e2e driver to press keys (run the suite through test/e2e/codeServer.mjs)');
  const file = path.join(dir, `${name}.keys.json`);
  rmSync(file, { force: true });
  console.log(`RANKLENS_KEYS ${name} ${JSON.stringify(presses)}`);
  const until = Date.now() + 90_000;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`the e2e driver did not press the keys of ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const answer = JSON.parse(readFileSync(file, 'utf8')) as KeyAnswer & { error?: string };
  rmSync(file, { force: true });
  if (answer.error) throw new Error(`keys ${name}: ${answer.error}`);
  return answer;
}

/** The focus is drawn: a visible outline in the theme's focus colour. */
export function focusVisible(focus: FocusedElement | null): boolean {
  if (!focus || focus.outlineStyle === 'none' || parseFloat(focus.outlineWidth) <= 0) return false;
  return sameColour(focus.outlineColor, focus.focusBorder);
}

function rgb(colour: string): number[] | undefined {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(colour.trim());
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  const fn = /rgba?\(([^)]+)\)/.exec(colour);
  return fn
    ? fn[1]
        .split(',')
        .slice(0, 3)
        .map((x) => Math.round(Number(x.trim())))
    : undefined;
}

function sameColour(a: string, b: string): boolean {
  const x = rgb(a);
  const y = rgb(b);
  return x !== undefined && y !== undefined && x.every((v, i) => Math.abs(v - y[i]) <= 2);
}
