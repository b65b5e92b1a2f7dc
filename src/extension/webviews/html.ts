import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The HTML shell of every RankLens webview: one module script, nothing remote, and a strict
 * Content-Security-Policy. Scripts and <style> elements need this load's nonce; there is no
 * 'unsafe-inline', so style attributes in markup are refused. Lit's styles use constructable stylesheets
 * (adoptedStyleSheets) and dynamic colours are set through the CSSOM (element.style, lit's styleMap), as
 * echarts does for its own elements: CSP governs markup and <style> elements, not CSSOM assignments.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  bundle: string,
  title: string,
): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'webview', `${bundle}.js`));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'webview', 'codicon.css'));
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${codicons}" nonce="${nonce}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<rl-app></rl-app>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webview')],
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
