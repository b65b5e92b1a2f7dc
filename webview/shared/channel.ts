import { Endpoint, type Handlers, type Protocol } from '../../src/protocol/endpoint';

/** The webview side of the host channel (src/protocol/endpoint.ts), plus the view's saved UI state. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called once per document.
const api = acquireVsCodeApi();

export interface ViewChannel<P extends Protocol> {
  readonly endpoint: Endpoint<P, 'view'>;
  /** Tells the host the handlers are installed; it then (re)sends what the view shows. */
  ready(): void;
  /** Reports how long something took to draw, measured here in the browser. */
  timing(what: string, ms: number): void;
}

export function connect<P extends Protocol>(protocol: P, handlers: Handlers<P, 'view'>): ViewChannel<P> {
  const endpoint = new Endpoint(
    protocol,
    'view',
    (message) => api.postMessage(message),
    handlers,
    (error) => console.warn(`RankLens: dropped an invalid message from the extension: ${error.message}`),
  );
  const common = endpoint as unknown as Endpoint<Protocol, 'view'>;
  window.addEventListener('message', (event: MessageEvent<unknown>) => endpoint.receive(event.data));
  // Reported to the host, so the tests see a policy violation instead of a silently unstyled view.
  document.addEventListener('securitypolicyviolation', (event) => {
    common.notify('cspViolation', {
      directive: event.effectiveDirective,
      blocked: event.blockedURI,
      sample: event.sample,
    });
  });
  return {
    endpoint,
    ready: () => common.notify('ready', {}),
    timing: (what, ms) => common.notify('timing', { what, ms }),
  };
}

/** UI state (selected layer, baseline, …) that survives the view being hidden and shown again. */
export function savedState<T extends object>(defaults: T): T {
  const stored = api.getState();
  return typeof stored === 'object' && stored !== null
    ? { ...defaults, ...(stored as Partial<T>) }
    : { ...defaults };
}

export function saveState(state: object): void {
  api.setState(state);
}
