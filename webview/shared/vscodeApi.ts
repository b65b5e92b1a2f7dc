/** The webview side of the host channel, typed by the protocol of the view that uses it. */
interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function createChannel<ToHost, FromHost>(
  onMessage: (message: FromHost) => void,
): { post(message: ToHost): void } {
  window.addEventListener('message', (event: MessageEvent<FromHost>) => onMessage(event.data));
  return { post: (message: ToHost) => api.postMessage(message) };
}

/** Reads a VS Code theme colour so charts follow the user's theme. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--vscode-${name}`).trim();
  return value || fallback;
}
