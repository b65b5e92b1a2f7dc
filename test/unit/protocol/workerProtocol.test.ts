import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { CancelledError } from '../../../src/core/progress';
import type { InspectResult } from '../../../src/core/runtime/types';
import { Endpoint, type Envelope, type Handlers } from '../../../src/protocol/endpoint';
import { workerProtocol, type WorkerProtocol } from '../../../src/protocol/worker';

type Sent = { readonly message: Envelope; readonly transfer?: ArrayBuffer[] };

/** The worker's side of the channel with the given handlers; what it sends is collected. */
function workerSide(requests: Partial<Handlers<WorkerProtocol, 'view'>['requests']>) {
  const sent: Sent[] = [];
  const endpoint = new Endpoint(
    workerProtocol,
    'view',
    (message, transfer) => sent.push({ message, transfer }),
    { notifications: {}, requests: requests as Handlers<WorkerProtocol, 'view'>['requests'] },
    (error) => sent.push({ message: { rl: 'notify', name: 'invalid', body: error.message } }),
  );
  return { endpoint, sent };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

function inspection(attentions: unknown): InspectResult {
  return {
    logits: [0.5],
    score: 0.5,
    inputIds: [2, 5, 3],
    tokenTypeIds: [0, 0, 0],
    numLayers: 1,
    numHeads: 1,
    seqLength: 3,
    hiddenSize: 2,
    attentions: attentions as Float32Array,
    hiddenStates: new Float32Array(8),
  };
}

describe('workerProtocol', () => {
  it('hands the handler its request id and transfers the buffers its spec names', async () => {
    const result = inspection(new Float32Array(9));
    const ids: number[] = [];
    const { endpoint, sent } = workerSide({
      inspect: (_params, { id }) => (ids.push(id), result),
    });
    endpoint.receive({
      rl: 'request',
      id: 41,
      name: 'inspect',
      params: { pair: { inputIds: Int32Array.from([2, 5, 3]) }, options: {} },
    });
    await settled();
    assert.deepEqual(ids, [41]);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].message, { rl: 'response', id: 41, ok: true, result });
    assert.deepEqual(sent[0].transfer, [result.attentions.buffer, result.hiddenStates.buffer]);
  });

  it('refuses params and results of the wrong shape, naming the field', async () => {
    const { endpoint, sent } = workerSide({ inspect: () => inspection([0.1, 0.2]) });
    endpoint.receive({
      rl: 'request',
      id: 1,
      name: 'inspect',
      params: { pair: { inputIds: [2, 5] }, options: {} },
    });
    endpoint.receive({
      rl: 'request',
      id: 2,
      name: 'inspect',
      params: { pair: { inputIds: Int32Array.from([2]) }, options: {} },
    });
    await settled();
    const errors = sent.map((s) => (s.message.rl === 'response' && !s.message.ok ? s.message.error : ''));
    assert.match(errors[0], /inspect\.pair\.inputIds: expected a Int32Array, got an array/);
    assert.match(errors[1], /inspect result\.attentions: expected a Float32Array, got an array/);
  });

  it("carries a thrown error's class name to the other side", async () => {
    const { endpoint, sent } = workerSide({
      score: () => Promise.reject(new CancelledError('scoring')),
    });
    endpoint.receive({ rl: 'request', id: 7, name: 'score', params: { pairs: [], options: {} } });
    await settled();
    const answer = sent[0].message;
    assert.ok(answer.rl === 'response' && !answer.ok);
    assert.equal(answer.errorName, 'CancelledError');
  });
});
