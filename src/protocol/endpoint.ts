import * as v from './validate';
import { ValidationError, type Infer, type Validator } from './validate';

/**
 * One message layer for every RankLens webview. A protocol names, per direction, its notifications
 * (fire and forget) and its requests (answered by a response with the same id), each with a validator.
 * The host and the webview each hold an Endpoint over the same protocol; every incoming message is
 * validated before any handler sees it, and every pending request is settled when the other side goes
 * away (dispose or reload), so no promise waits forever.
 */
export interface RequestSpec<P = unknown, R = unknown> {
  readonly params: Validator<P>;
  readonly result: Validator<R>;
  /** The buffers of a result that move to the other side instead of being copied (postMessage's transfer list). */
  transfer?(result: R): ArrayBuffer[];
}

/** What a request handler knows of the request besides its params. */
export interface RequestContext {
  /** The request's id: notifications about it (progress, cancel) name it. */
  readonly id: number;
}

export interface Protocol {
  /** Host → webview notifications. */
  readonly toView: Record<string, Validator<unknown>>;
  /** Webview → host notifications. */
  readonly toHost: Record<string, Validator<unknown>>;
  /** Requests the webview sends and the host answers. */
  readonly hostRequests: Record<string, RequestSpec>;
  /** Requests the host sends and the webview answers. */
  readonly viewRequests: Record<string, RequestSpec>;
}

/** Notifications every view sends, whatever its protocol (the panel host handles them). */
export const COMMON_TO_HOST = {
  /** The view's script is running and its handlers are installed; sent on every (re)load. */
  ready: v.empty,
  /** A Content-Security-Policy violation seen by the view (tests assert there are none). */
  cspViolation: v.object({ directive: v.string, blocked: v.string, sample: v.string }),
  /** How long the view took to draw something, measured in the browser (ms). */
  timing: v.object({ what: v.string, ms: v.number }),
};

export function defineProtocol<
  TV extends Record<string, Validator<unknown>>,
  TH extends Record<string, Validator<unknown>>,
  HR extends Record<string, RequestSpec>,
  VR extends Record<string, RequestSpec>,
>(protocol: {
  toView: TV;
  toHost: TH;
  hostRequests: HR;
  viewRequests: VR;
}): { toView: TV; toHost: TH & typeof COMMON_TO_HOST; hostRequests: HR; viewRequests: VR } {
  return { ...protocol, toHost: { ...COMMON_TO_HOST, ...protocol.toHost } };
}

export type Side = 'host' | 'view';
type Opposite<S extends Side> = S extends 'host' ? 'view' : 'host';
type NotificationsTo<P extends Protocol, S extends Side> = S extends 'host' ? P['toHost'] : P['toView'];
type RequestsTo<P extends Protocol, S extends Side> = S extends 'host'
  ? P['hostRequests']
  : P['viewRequests'];

export type NotificationBody<
  P extends Protocol,
  S extends Side,
  N extends keyof NotificationsTo<P, S>,
> = Infer<NotificationsTo<P, S>[N]>;
export type Params<P extends Protocol, S extends Side, N extends keyof RequestsTo<P, S>> =
  RequestsTo<P, S>[N] extends RequestSpec<infer X, unknown> ? X : never;
export type Result<P extends Protocol, S extends Side, N extends keyof RequestsTo<P, S>> =
  RequestsTo<P, S>[N] extends RequestSpec<unknown, infer X> ? X : never;

/** What the endpoint on side S does with the messages addressed to it. */
export type Handlers<P extends Protocol, S extends Side> = {
  readonly notifications: {
    readonly [N in keyof NotificationsTo<P, S>]?: (body: NotificationBody<P, S, N>) => void;
  };
  readonly requests: {
    readonly [N in keyof RequestsTo<P, S>]: (
      params: Params<P, S, N>,
      context: RequestContext,
    ) => Promise<Result<P, S, N>> | Result<P, S, N>;
  };
};

/** The wire format: one envelope per postMessage. */
export type Envelope =
  | { readonly rl: 'notify'; readonly name: string; readonly body: unknown }
  | { readonly rl: 'request'; readonly id: number; readonly name: string; readonly params: unknown }
  | { readonly rl: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly rl: 'response';
      readonly id: number;
      readonly ok: false;
      readonly error: string;
      /** The error's class name (e.g. CancelledError), given to the rejection on the other side. */
      readonly errorName?: string;
    };

const envelope = v.variants('rl', {
  notify: v.object({ name: v.string }),
  request: v.object({ id: v.integer, name: v.string }),
  response: v.object({
    id: v.integer,
    ok: v.boolean,
    error: v.optional(v.string),
    errorName: v.optional(v.string),
  }),
});

/** Checks that a raw message is an envelope (its body is checked by the protocol's validators). */
export function readEnvelope(raw: unknown): Envelope {
  return envelope(raw, 'message') as Envelope;
}

/** A request that cannot be answered any more: the other side was disposed or reloaded. */
export class ChannelClosedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ChannelClosedError';
  }
}

interface Pending {
  readonly name: string;
  readonly result: Validator<unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class Endpoint<P extends Protocol, S extends Side> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: string | undefined;

  constructor(
    private readonly protocol: P,
    private readonly side: S,
    private readonly send: (message: Envelope, transfer?: ArrayBuffer[]) => void,
    private readonly handlers: Handlers<P, S>,
    /** Where invalid incoming messages are reported (they are dropped, never half-used). */
    private readonly onInvalid: (error: Error) => void,
  ) {}

  notify<N extends keyof NotificationsTo<P, Opposite<S>> & string>(
    name: N,
    body: NotificationBody<P, Opposite<S>, N>,
  ): void {
    if (this.closed === undefined) this.send({ rl: 'notify', name, body });
  }

  request<N extends keyof RequestsTo<P, Opposite<S>> & string>(
    name: N,
    params: Params<P, Opposite<S>, N>,
  ): Promise<Result<P, Opposite<S>, N>> {
    if (this.closed !== undefined) return Promise.reject(new ChannelClosedError(this.closed));
    const spec = this.outgoingRequests()[name];
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        name,
        result: spec.result,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.send({ rl: 'request', id, name, params });
    });
  }

  /** Validates and dispatches one raw message from the other side. */
  receive(raw: unknown): void {
    if (this.closed !== undefined) return;
    try {
      const message = readEnvelope(raw);
      if (message.rl === 'notify') this.receiveNotification(message.name, message.body);
      else if (message.rl === 'request') void this.answer(message.id, message.name, message.params);
      else this.settle(message);
    } catch (error) {
      this.onInvalid(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Rejects every request still waiting for an answer (the other side reloaded and forgot them). */
  rejectPending(reason: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new ChannelClosedError(`${p.name}: ${reason}`));
  }

  /** No more messages either way; pending requests are rejected. */
  close(reason: string): void {
    if (this.closed !== undefined) return;
    this.closed = reason;
    this.rejectPending(reason);
  }

  private incomingNotifications(): Record<string, Validator<unknown>> {
    return this.side === 'host' ? this.protocol.toHost : this.protocol.toView;
  }
  private incomingRequests(): Record<string, RequestSpec> {
    return this.side === 'host' ? this.protocol.hostRequests : this.protocol.viewRequests;
  }
  private outgoingRequests(): Record<string, RequestSpec> {
    return this.side === 'host' ? this.protocol.viewRequests : this.protocol.hostRequests;
  }

  private receiveNotification(name: string, body: unknown): void {
    const check = Object.hasOwn(this.incomingNotifications(), name)
      ? this.incomingNotifications()[name]
      : undefined;
    if (!check) throw new ValidationError('message.name', 'a known notification', name);
    const handler = (this.handlers.notifications as Record<string, ((b: unknown) => void) | undefined>)[name];
    const valid = check(body, name);
    handler?.(valid);
  }

  private async answer(id: number, name: string, params: unknown): Promise<void> {
    const spec = Object.hasOwn(this.incomingRequests(), name) ? this.incomingRequests()[name] : undefined;
    const handler = (
      this.handlers.requests as Record<string, ((p: unknown, c: RequestContext) => unknown) | undefined>
    )[name];
    try {
      if (!spec || !handler) throw new ValidationError('message.name', 'a known request', name);
      const result = spec.result(await handler(spec.params(params, name), { id }), `${name} result`);
      if (this.closed === undefined)
        this.send({ rl: 'response', id, ok: true, result }, spec.transfer?.(result));
    } catch (error) {
      if (this.closed === undefined)
        this.send({
          rl: 'response',
          id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
          ...(error instanceof Error ? { errorName: error.name } : {}),
        });
    }
  }

  private settle(message: Extract<Envelope, { rl: 'response' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return; // answered after a reload rejected it: nobody is waiting
    this.pending.delete(message.id);
    if (!message.ok) {
      pending.reject(namedError(message.error, message.errorName));
      return;
    }
    try {
      pending.resolve(pending.result(message.result, `${pending.name} result`));
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** An Error with the message and (when given) the class name the other side reported. */
export function namedError(message: string, name?: string): Error {
  const error = new Error(message);
  if (name !== undefined) error.name = name;
  return error;
}
