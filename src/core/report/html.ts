import type { ReportInput } from './sections';

/** Escapes text for an HTML text node or attribute. */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * JSON inside <script type="application/json">: "<" is escaped so no "</script>" (or "<!--") in a passage
 * or a file name can end the element early; JSON.parse reads \u003c back as "<".
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * One self-contained HTML file: the report data as JSON and the report bundle (lit + echarts + the section
 * builders, out/webview/report-standalone.js) inline; nothing is fetched, so it opens offline. The --vscode-*
 * variables the report's styles use get light-theme values.
 */
export function reportHtml(input: ReportInput, bundle: string): string {
  // "</script" inside the bundle's strings would end the element; "<\/script" means the same in JavaScript.
  const inline = bundle.replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="RankLens">
<title>${escapeHtml(input.title)}</title>
<style>
:root {
  --vscode-foreground: #1f1f1f;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  --vscode-font-size: 14px;
  --vscode-panel-border: #d0d0d0;
  --vscode-focusBorder: #0078d4;
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryForeground: #1f1f1f;
}
body { margin: 0; background: #ffffff; color: #1f1f1f; }
</style>
<script type="application/json" id="ranklens-report-data">${scriptJson(input)}</script>
</head>
<body>
<script>${inline}</script>
</body>
</html>
`;
}
