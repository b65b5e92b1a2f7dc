import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChannelClosedError, Endpoint, defineProtocol, type Envelope } from '../../../src/protocol/endpoint';
import { attributionProtocol } from '../../../src/protocol/attribution';
import * as v from '../../../src/protocol/validate';

const protocol = defineProtocol({
  toView: { show: v.object({ title: v.string, values: v.float32Array }) },
  toHost: { rendered: v.object({ count: v.integer }) },
  hostRequests: { double: { params: v.object({ n: v.number }), result: v.object({ n: v.number }) } },
  viewRequests: { snapshot: { params: v.empty, result: v.object({ drawn: v.integer }) } },
});

/** A host and a view endpoint wired to each other through structuredClone, as postMessage would. */
function pair(viewAnswers: { drawn: unknown } = { drawn: 3 }) {
  const shown: { title: string; values: Float32Array }[] = [];
  const rendered: number[] = [];
  const invalid: string[] = [];
  let toView: (m: Envelope) => void = () => undefined;
  let toHost: (m: Envelope) => void = () => undefined;
  const host = new Endpoint(
    protocol,
    'host',
    (m) => toView(m),
    {
      notifications: { rendered: ({ count }) => rendered.push(count) },
      requests: { double: ({ n }) => ({ n: 2 * n }) },
    },
    (e) => invalid.push(`host: ${e.message}`),
  );
  const view = new Endpoint(
    protocol,
    'view',
    (m) => toHost(m),
    {
      notifications: { show: (body) => shown.push(body) },
      requests: { snapshot: async () => viewAnswers as { drawn: number } },
    },
    (e) => invalid.push(`view: ${e.message}`),
  );
  toView = (m) => queueMicrotask(() => view.receive(structuredClone(m)));
  toHost = (m) => queueMicrotask(() => host.receive(structuredClone(m)));
  return { host, view, shown, rendered, invalid };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Endpoint', () => {
  it('delivers notifications with binary payloads as typed arrays, and answers requests both ways', async () => {
    const { host, view, shown, rendered } = pair();
    host.notify('show', { title: 'attention', values: Float32Array.from([0.25, 0.75]) });
    view.notify('rendered', { count: 7 });
    assert.deepEqual(await view.request('double', { n: 21 }), { n: 42 });
    assert.deepEqual(await host.request('snapshot', {}), { drawn: 3 });
    await tick();
    assert.equal(shown.length, 1);
    assert.ok(shown[0].values instanceof Float32Array);
    assert.deepEqual([...shown[0].values], [0.25, 0.75]);
    assert.deepEqual(rendered, [7]);
  });

  it('drops a message with a field missing, naming the field', async () => {
    const { view, shown, invalid } = pair();
    view.receive({ rl: 'notify', name: 'show', body: { values: Float32Array.from([1]) } });
    await tick();
    assert.equal(shown.length, 0);
    assert.equal(invalid.length, 1);
    assert.match(invalid[0], /show\.title: expected a string, got undefined/);
  });

  it('drops invalid messages before any handler sees them, naming the bad field', async () => {
    const { host, view, shown, invalid } = pair();
    view.receive({ rl: 'notify', name: 'show', body: { title: 'x', values: [0.25, 0.75] } });
    view.receive({ rl: 'notify', name: 'unknown', body: {} });
    host.receive({ type: 'ready' });
    host.receive(null);
    await tick();
    assert.equal(shown.length, 0);
    assert.equal(invalid.length, 4);
    assert.match(invalid[0], /show\.values: expected a Float32Array, got an array/);
    assert.match(invalid[1], /a known notification/);
    assert.match(invalid[2], /message\.rl: expected one of notify, request, response/);
  });

  it('rejects a request whose answer does not validate, and one the other side cannot handle', async () => {
    const { host } = pair({ drawn: 'three' });
    await assert.rejects(host.request('snapshot', {}), /snapshot result\.drawn: expected an integer/);
    const { view } = pair();
    await assert.rejects(
      view.request('double', { n: 'two' } as unknown as { n: number }),
      /double\.n: expected a number/,
    );
  });

  it('settles every pending request when closed or when the other side reloads, and sends nothing after close', async () => {
    const sent: Envelope[] = [];
    const host = new Endpoint(
      protocol,
      'host',
      (m) => sent.push(m),
      { notifications: {}, requests: { double: ({ n }) => ({ n }) } },
      () => undefined,
    );
    const first = host.request('snapshot', {});
    host.rejectPending('the webview reloaded');
    await assert.rejects(
      first,
      (e: unknown) => e instanceof ChannelClosedError && /reloaded/.test(e.message),
    );
    const second = host.request('snapshot', {});
    host.close('the webview was closed');
    await assert.rejects(second, ChannelClosedError);
    await assert.rejects(host.request('snapshot', {}), ChannelClosedError);
    host.notify('show', { title: '', values: new Float32Array(0) });
    assert.equal(sent.length, 2, 'only the two requests made before close were sent');
  });

  it('adds the notifications every view sends (ready, cspViolation, timing) to each protocol', () => {
    assert.ok('ready' in attributionProtocol.toHost);
    assert.ok('cspViolation' in attributionProtocol.toHost);
    assert.ok('timing' in attributionProtocol.toHost);
  });
});

describe('validators', () => {
  it('check nested objects, variants, literals and optional fields', () => {
    const shape = v.object({ kind: v.literal('a', 'b'), n: v.optional(v.integer), xs: v.numbers });
    assert.deepEqual(shape({ kind: 'a', xs: [1, 2] }, 'm'), { kind: 'a', xs: [1, 2] });
    assert.throws(
      () => shape({ kind: 'c', xs: [] }, 'm'),
      /m\.kind: expected one of "a", "b", got string "c"/,
    );
    assert.throws(
      () => shape({ kind: 'a', n: 1.5, xs: [] }, 'm'),
      /m\.n: expected an integer, got number 1\.5/,
    );
    assert.throws(() => shape({ kind: 'a', xs: [1, '2'] }, 'm'), /m\.xs\[1\]: expected a number/);
    // A missing field is an error naming it, unless the field is optional.
    assert.throws(() => shape({ kind: 'a' }, 'm'), /m\.xs: expected an array of numbers, got undefined/);
    assert.throws(() => shape({ xs: [] }, 'm'), /m\.kind: expected one of "a", "b", got undefined/);
    const either = v.variants('type', { one: v.object({ a: v.string }), two: v.object({ b: v.number }) });
    assert.throws(() => either({ type: 'one' }, 'e'), /e\.a: expected a string, got undefined/);
    assert.deepEqual(either({ type: 'two', b: 2 }, 'e'), { type: 'two', b: 2 });
    assert.throws(() => either({ type: 'one', a: 1 }, 'e'), /e\.a: expected a string/);
  });
});
