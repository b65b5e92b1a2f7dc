// --device: the CPU provider always, the CUDA provider only where onnxruntime-node has its libraries (and a GPU).
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { Ranker } from '../../../src/core/runtime/ranker';
import { BertGradientModel } from '../../../src/core/bert/gradientModel';
import {
  DeviceUnavailableError,
  cudaUnavailableReason,
  executionProviders,
  onnxruntimeBinaryDir,
  parseDevice,
} from '../../../src/core/device';

let dir: string;
let model: string;

before(() => {
  dir = tempDir('device');
  model = path.join(dir, 'model');
  writeRandomCheckpoint(model, { layers: 2, heads: 2, hidden: 16, numLabels: 1, seed: 5 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('device', () => {
  it('parses cpu and cuda and names the choices otherwise', () => {
    assert.equal(parseDevice('cpu'), 'cpu');
    assert.equal(parseDevice('cuda'), 'cuda');
    assert.throws(() => parseDevice('gpu'), /device "gpu": expected cpu or cuda/);
  });

  it('finds onnxruntime-node where its native binding is', () => {
    assert.ok(fs.existsSync(path.join(onnxruntimeBinaryDir(), 'onnxruntime_binding.node')));
  });

  it('needs both CUDA provider libraries of onnxruntime-node', () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      assert.match(cudaUnavailableReason(bin)!, /only on linux\/x64/);
      return;
    }
    assert.match(
      cudaUnavailableReason(bin)!,
      /libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so missing/,
    );
    fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_shared.so'), '');
    assert.match(cudaUnavailableReason(bin)!, /libonnxruntime_providers_cuda\.so missing/);
    fs.writeFileSync(path.join(bin, 'libonnxruntime_providers_cuda.so'), '');
    assert.equal(cudaUnavailableReason(bin), undefined);
  });

  it('scores identically with device cpu and with the default', async () => {
    assert.deepEqual(executionProviders('cpu'), ['cpu']);
    const pairs = [syntheticPair(2, 5, 50, 1), syntheticPair(3, 4, 50, 2)];
    const byDefault = await Ranker.load(model, { threads: 1 });
    const onCpu = await Ranker.load(model, { threads: 1, device: 'cpu' });
    try {
      assert.deepEqual(await onCpu.score(pairs), await byDefault.score(pairs));
    } finally {
      await byDefault.dispose();
      await onCpu.dispose();
    }
  });

  it('refuses cuda with one clear line where this onnxruntime-node or machine cannot run it', async (t) => {
    const reason = cudaUnavailableReason();
    if (reason === undefined && fs.existsSync('/dev/nvidia0')) {
      t.skip('this machine has the CUDA provider and a GPU: nothing to refuse');
      return;
    }
    for (const load of [
      () => Ranker.load(model, { device: 'cuda' }),
      () => BertGradientModel.load(model, { device: 'cuda' }),
    ]) {
      await assert.rejects(load, (error: Error) => {
        assert.ok(error instanceof DeviceUnavailableError);
        assert.match(error.message, /^--device cuda: /);
        assert.doesNotMatch(error.message, /\n/);
        if (reason) assert.match(error.message, /no CUDA execution provider/);
        return true;
      });
    }
  });
});
