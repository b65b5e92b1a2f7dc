/**
 * The editor's theme as the webview sees it: VS Code sets a class on <body> (vscode-light, vscode-dark,
 * vscode-high-contrast, vscode-high-contrast-light) and the --vscode-* variables on <html>, and changes
 * both in place when the user switches theme. Charts read colours from here and redraw on change.
 */
export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export function themeKind(): ThemeKind {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  return 'light';
}

export function themeClass(): string {
  return [...document.body.classList].find((c) => c.startsWith('vscode-')) ?? 'none';
}

/** A --vscode-* colour (name without the prefix, e.g. 'editor-background'). */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--vscode-${name}`).trim();
  return value || fallback;
}

/**
 * A theme colour without its alpha: some themes give chart colours as translucent (e.g. charts.orange as #rrggbbaa),
 * which a thin line draws faded into the background; a chart's series need them solid.
 */
export function opaqueColor(color: string): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})[0-9a-f]{1,2}$/i.exec(color);
  if (hex && (color.length === 5 || color.length === 9)) return `#${hex[1]}`;
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),[^)]*\)$/i.exec(color);
  return rgba ? `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})` : color;
}

/** Colours charts need, read afresh for each draw. */
export interface ChartColors {
  readonly foreground: string;
  readonly muted: string;
  readonly background: string;
  readonly border: string;
  readonly accent: string;
  readonly highContrast: boolean;
}

export function chartColors(): ChartColors {
  const kind = themeKind();
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  const foreground = themeColor(
    'editor-foreground',
    themeColor('foreground', kind === 'light' || kind === 'high-contrast-light' ? '#333333' : '#cccccc'),
  );
  return {
    foreground,
    muted: highContrast ? foreground : themeColor('descriptionForeground', foreground),
    background: themeColor('editor-background', kind === 'light' ? '#ffffff' : '#1e1e1e'),
    border: themeColor('contrastBorder', themeColor('panel-border', 'rgba(128, 128, 128, 0.35)')),
    accent: themeColor('charts-blue', themeColor('focusBorder', '#3794ff')),
    highContrast,
  };
}

/** Calls back (once per animation frame at most) whenever the theme class or the theme's variables change. */
export function onThemeChange(callback: () => void): () => void {
  let last = signature();
  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const now = signature();
      if (now === last) return;
      last = now;
      callback();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}

function signature(): string {
  return `${document.body.className}|${themeColor('editor-background', '')}|${themeColor('editor-foreground', '')}`;
}
