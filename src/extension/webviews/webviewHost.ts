import * as vscode from 'vscode';
import {
  ChannelClosedError,
  Endpoint,
  type Handlers,
  type NotificationBody,
  type Params,
  type Protocol,
  type Result,
} from '../../protocol/endpoint';
import { webviewHtml, webviewOptions } from './html';

type ToView<P extends Protocol> = keyof P['toView'] & string;
type ToHost<P extends Protocol> = keyof P['toHost'] & string;
type ViewRequest<P extends Protocol> = keyof P['viewRequests'] & string;

export interface WebviewHostOptions<P extends Protocol> {
  readonly protocol: P;
  /** The esbuild entry under webview/ (out/webview/<bundle>.js). */
  readonly bundle: string;
  readonly title: string;
  readonly extensionUri: vscode.Uri;
  /** Requests the view may send, and the host's own reactions to its notifications. */
  readonly handlers: Handlers<P, 'host'>;
  readonly log?: vscode.OutputChannel;
}

/**
 * The host side of one webview (a panel or a side-bar view): sets the HTML with its CSP, owns the typed
 * endpoint, and makes the webview's life cycle invisible to the code that uses it:
 * - ready handshake: nothing is posted before the view's script has said `ready`;
 * - state restore: what the view shows is kept here (`show`), and posted again each time the view
 *   (re)loads — a hidden panel or a collapsed side-bar view loses its document and gets it back;
 * - dispose: every promise waiting on the view (requests, `next`) is rejected, none waits forever.
 */
export class WebviewHost<P extends Protocol> implements vscode.Disposable {
  private readonly endpoint: Endpoint<P, 'host'>;
  private readonly shown = new Map<string, unknown>();
  private readonly latest = new Map<string, unknown>();
  private waiters: { name: string; resolve(body: unknown): void; reject(error: Error): void }[] = [];
  private isReady = false;
  private disposed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Content-Security-Policy violations the view reported (expected: none). */
  readonly cspViolations: string[] = [];
  /** Drawing times measured in the browser. */
  readonly timings: { readonly what: string; readonly ms: number }[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  constructor(
    readonly webview: vscode.Webview,
    private readonly options: WebviewHostOptions<P>,
  ) {
    const user = options.handlers.notifications as Record<string, ((body: unknown) => void) | undefined>;
    const notifications: Record<string, (body: unknown) => void> = {};
    for (const name of Object.keys(options.protocol.toHost)) {
      notifications[name] = (body) => {
        this.onNotification(name, body);
        user[name]?.(body);
      };
    }
    this.endpoint = new Endpoint(
      options.protocol,
      'host',
      (message) => void webview.postMessage(message),
      { notifications, requests: options.handlers.requests } as unknown as Handlers<P, 'host'>,
      (error) =>
        options.log?.appendLine(`webview ${options.bundle}: dropped an invalid message: ${error.message}`),
    );
    webview.options = webviewOptions(options.extensionUri);
    this.subscriptions.push(
      webview.onDidReceiveMessage((message: unknown) => this.endpoint.receive(message)),
    );
    webview.html = webviewHtml(webview, options.extensionUri, options.bundle, options.title);
  }

  /**
   * Shows content in the view: posted now if the view is ready, and again after every reload. The last
   * body per notification name is what the view gets back.
   */
  show<N extends ToView<P>>(name: N, body: NotificationBody<P, 'view', N>): void {
    this.shown.delete(name); // re-inserted last, so restore replays in the order things were shown
    this.shown.set(name, body);
    if (this.isReady) this.endpoint.notify(name, body);
  }

  /** A one-off notification (not replayed after a reload); dropped if the view is not ready. */
  notify<N extends ToView<P>>(name: N, body: NotificationBody<P, 'view', N>): void {
    if (this.isReady) this.endpoint.notify(name, body);
  }

  /** Asks the view; waits for it to be ready first. Rejects if the view reloads or is disposed meanwhile. */
  async request<N extends ViewRequest<P>>(
    name: N,
    params: Params<P, 'view', N>,
  ): Promise<Result<P, 'view', N>> {
    if (!this.isReady) await this.next('ready' as ToHost<P>);
    return this.endpoint.request(name, params);
  }

  /** The next notification of this name from the view (e.g. the next `rendered`). */
  next<N extends ToHost<P>>(name: N): Promise<NotificationBody<P, 'host', N>> {
    if (this.disposed) return Promise.reject(new ChannelClosedError('the webview was closed'));
    return new Promise((resolve, reject) =>
      this.waiters.push({ name, resolve: resolve as (body: unknown) => void, reject }),
    );
  }

  /** The latest notification of this name, or the next one if none came yet. */
  latestOr<N extends ToHost<P>>(name: N): Promise<NotificationBody<P, 'host', N>> {
    return this.latest.has(name)
      ? Promise.resolve(this.latest.get(name) as NotificationBody<P, 'host', N>)
      : this.next(name);
  }

  get ready(): boolean {
    return this.isReady;
  }

  private onNotification(name: string, body: unknown): void {
    this.latest.set(name, body);
    if (name === 'ready') {
      if (this.isReady) this.endpoint.rejectPending('the webview reloaded');
      this.isReady = true;
      for (const [shownName, shownBody] of this.shown)
        this.endpoint.notify(shownName as ToView<P>, shownBody as never);
    } else if (name === 'cspViolation') {
      const v = body as { directive: string; blocked: string; sample: string };
      const line = `${v.directive} blocked ${v.blocked} ${v.sample}`.trim();
      this.cspViolations.push(line);
      this.options.log?.appendLine(
        `webview ${this.options.bundle}: Content-Security-Policy violation: ${line}`,
      );
    } else if (name === 'timing') {
      const t = body as { what: string; ms: number };
      this.timings.push(t);
      if (this.timings.length > 500) this.timings.splice(0, this.timings.length - 500);
    }
    const waiting = this.waiters.filter((w) => w.name === name);
    this.waiters = this.waiters.filter((w) => w.name !== name);
    for (const w of waiting) w.resolve(body);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.close('the webview was closed');
    for (const w of this.waiters.splice(0))
      w.reject(new ChannelClosedError(`${w.name}: the webview was closed`));
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
  }
}

export interface PanelOptions<P extends Protocol> extends WebviewHostOptions<P> {
  /** Identifies the kind of panel (e.g. ranklens.evaluation). */
  readonly viewType: string;
  readonly column?: vscode.ViewColumn;
  readonly preserveFocus?: boolean;
}

/** A webview panel (editor tab) with its host; closing the tab disposes the host. */
export function openPanel<P extends Protocol>(
  options: PanelOptions<P>,
): { readonly panel: vscode.WebviewPanel; readonly host: WebviewHost<P> } {
  const panel = vscode.window.createWebviewPanel(
    options.viewType,
    options.title,
    { viewColumn: options.column ?? vscode.ViewColumn.Active, preserveFocus: options.preserveFocus ?? false },
    { ...webviewOptions(options.extensionUri), enableFindWidget: true },
  );
  const host = new WebviewHost(panel.webview, options);
  panel.onDidDispose(() => host.dispose());
  return { panel, host };
}

/**
 * A side-bar WebviewView whose host outlives the view's document: `current` is undefined until VS Code
 * resolves the view (first shown), and what was shown is restored whenever the view comes back.
 */
export class ViewHostProvider<P extends Protocol> implements vscode.WebviewViewProvider, vscode.Disposable {
  private hostOfView: WebviewHost<P> | undefined;
  private view: vscode.WebviewView | undefined;
  private readonly resolvedEmitter = new vscode.EventEmitter<WebviewHost<P>>();
  /** Fires each time VS Code (re)creates the view's webview. */
  readonly onDidResolve = this.resolvedEmitter.event;

  constructor(private readonly options: WebviewHostOptions<P>) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.hostOfView?.dispose();
    this.view = view;
    const host = new WebviewHost(view.webview, this.options);
    this.hostOfView = host;
    view.onDidDispose(() => {
      host.dispose();
      if (this.hostOfView === host) this.hostOfView = undefined;
    });
    this.resolvedEmitter.fire(host);
  }

  get current(): WebviewHost<P> | undefined {
    return this.hostOfView;
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  dispose(): void {
    this.hostOfView?.dispose();
    this.resolvedEmitter.dispose();
  }
}
