// The HTML shell of a panel: strict CSP with a nonce, no inline script or style; everything through asWebviewUri.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function nonce(): string {
  return randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function csp(webview: vscode.Webview, n: string): string {
  const src = webview.cspSource;
  return `default-src 'none'; script-src 'nonce-${n}'; style-src ${src}; font-src ${src}; img-src ${src} data:`;
}

/** Where the built webview files and the media live. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { title: string; script: string; css: string; body: string }): string {
  const n = nonce();
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(webview, n)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(opts.title)}</title>
<link rel="stylesheet" href="${uri('dist', 'webview', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${uri('media', 'common.css')}">
<link rel="stylesheet" href="${uri('media', opts.css)}">
</head>
<body>
${opts.body}
<script type="module" nonce="${n}" src="${uri('dist', 'webview', 'vscode-elements.js')}"></script>
<script type="module" nonce="${n}" src="${uri('dist', 'webview', opts.script)}"></script>
</body>
</html>`;
}
