import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  tempDir,
  writeRandomCheckpoint,
  writeSafetensors,
  type CheckpointSpec,
} from '../../support/checkpoints';
import { openBertCheckpoint } from '../../../src/core/model/checkpoint';
import { CheckpointError } from '../../../src/core/model/checkpointError';
import { readSafetensorsHeader, readTensorAsFloat32 } from '../../../src/core/model/safetensors';
import { scoreFromLogits } from '../../../src/core/model/score';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const base: CheckpointSpec = { layers: 2, heads: 2, hidden: 8, numLabels: 2, seed: 5 };
function make(spec: Partial<CheckpointSpec> = {}) {
  const dir = tempDir('ckpt');
  dirs.push(dir);
  return writeRandomCheckpoint(dir, { ...base, ...spec });
}
function expectError(dir: string, pattern: RegExp) {
  assert.throws(
    () => openBertCheckpoint(dir),
    (e: unknown) => {
      assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('openBertCheckpoint reads', () => {
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    for (const prefix of [true, false]) {
      it(`${dtype} weights ${prefix ? 'with' : 'without'} the bert. prefix exactly`, () => {
        const written = make({ dtype, prefix, shards: dtype === 'F16' ? 2 : undefined });
        const ck = openBertCheckpoint(written.dir);
        assert.equal(ck.config.numLayers, 2);
        assert.equal(ck.config.hiddenSize, 8);
        assert.equal(ck.config.intermediateSize, 32);
        assert.equal(ck.config.numLabels, 2);
        const p = prefix ? 'bert.' : '';
        const checks: [Float32Array, string][] = [
          [ck.weights.wordEmbeddings.read(), `${p}embeddings.word_embeddings.weight`],
          [ck.weights.layers[1].intermediate.weight.read(), `${p}encoder.layer.1.intermediate.dense.weight`],
          [ck.weights.layers[0].outputNorm.bias.read(), `${p}encoder.layer.0.output.LayerNorm.bias`],
          [ck.weights.classifier.weight.read(), 'classifier.weight'],
        ];
        for (const [actual, name] of checks) assert.deepEqual(actual, written.tensors.get(name)!.data, name);
        assert.deepEqual(ck.weights.layers[1].intermediate.weight.shape, [32, 8]);
      });
    }
  }

  it('F16 subnormals and signed zero at their exact values (0x0001 = 2^-24, 0x03FF = 1023 * 2^-24)', () => {
    // Real F16 checkpoints hold subnormal weights (|w| < 2^-14, e.g. 1e-5); the generated ones are multiples
    // of 1/64 and hold none, so they are written here as raw halves.
    const halves = [0x0001, 0x03ff, 0x8001, 0x0400, 0x8000, 0x3c00];
    const written = make({
      mutate: (t) =>
        t.set('extra.subnormals', {
          shape: [halves.length],
          data: new Float32Array(0),
          raw: { dtype: 'F16', bytes: new Uint8Array(Uint16Array.from(halves).buffer) },
        }),
    });
    const record = readSafetensorsHeader(path.join(written.dir, 'model.safetensors')).find(
      (r) => r.name === 'extra.subnormals',
    );
    assert.ok(record);
    const values = Array.from(readTensorAsFloat32(record));
    assert.deepEqual(values, [2 ** -24, 1023 * 2 ** -24, -(2 ** -24), 2 ** -14, -0, 1]);
    assert.ok(Object.is(values[4], -0));
  });

  it('TF-era LayerNorm gamma/beta names and num_labels from id2label', () => {
    const written = make({
      numLabels: 1,
      configOverrides: { num_labels: undefined, id2label: { 0: 'LABEL_0' } },
      mutate: (t) => {
        const g = t.get('bert.embeddings.LayerNorm.weight')!;
        t.delete('bert.embeddings.LayerNorm.weight');
        t.set('bert.embeddings.LayerNorm.gamma', g);
      },
    });
    const ck = openBertCheckpoint(written.dir);
    assert.equal(ck.config.numLabels, 1);
    assert.equal(ck.weights.embeddingNorm.weight.name, 'bert.embeddings.LayerNorm.gamma');
  });

  it('ignores tensors it does not need, such as an I64 position_ids buffer', () => {
    const written = make({
      mutate: (t) =>
        t.set('bert.embeddings.position_ids', {
          shape: [1, 64],
          data: new Float32Array(0),
          raw: {
            dtype: 'I64',
            bytes: new Uint8Array(BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i)).buffer),
          },
        }),
    });
    const ck = openBertCheckpoint(written.dir);
    assert.deepEqual(ck.weights.pooler.bias.read(), written.tensors.get('bert.pooler.dense.bias')!.data);
  });

  it('gives a fingerprint that follows the content', () => {
    const a = openBertCheckpoint(make({ seed: 1 }).dir).fingerprint;
    const b = openBertCheckpoint(make({ seed: 1 }).dir).fingerprint;
    const c = openBertCheckpoint(make({ seed: 2 }).dir).fingerprint;
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

describe('openBertCheckpoint refuses', () => {
  it('other architectures', () => {
    expectError(
      make({
        configOverrides: { architectures: ['RobertaForSequenceClassification'], model_type: 'roberta' },
      }).dir,
      /config\.json: unsupported architecture RobertaForSequenceClassification \(model_type "roberta"\); RankLens runs BertForSequenceClassification/,
    );
    expectError(
      make({
        configOverrides: { architectures: ['DistilBertForSequenceClassification'], model_type: 'distilbert' },
      }).dir,
      /unsupported architecture DistilBertForSequenceClassification/,
    );
    expectError(
      make({ configOverrides: { architectures: ['BertModel'] } }).dir,
      /unsupported architecture BertModel/,
    );
  });

  it('unsupported activations, position embeddings and label counts', () => {
    expectError(
      make({ configOverrides: { hidden_act: 'gelu_new' } }).dir,
      /hidden_act "gelu_new" is not supported/,
    );
    expectError(
      make({ configOverrides: { position_embedding_type: 'relative_key' } }).dir,
      /position_embedding_type "relative_key" is not supported/,
    );
    expectError(make({ configOverrides: { num_labels: 3 } }).dir, /3 labels; a re-ranker has 1/);
    expectError(
      make({ configOverrides: { hidden_size: 'big' } }).dir,
      /"hidden_size" must be an integer from 1 to 16384, found "big"/,
    );
  });

  it('a missing tensor, naming it', () => {
    const dir = make({ mutate: (t) => t.delete('bert.encoder.layer.1.attention.self.key.bias') }).dir;
    expectError(dir, /missing tensor "bert\.encoder\.layer\.1\.attention\.self\.key\.bias"/);
    expectError(
      make({ mutate: (t) => t.delete('classifier.weight') }).dir,
      /missing tensor "classifier\.weight"/,
    );
  });

  it('a shape that disagrees with config.json, naming tensor, expected and found', () => {
    const dir = make({ configOverrides: { intermediate_size: 16 } }).dir;
    expectError(
      dir,
      /model\.safetensors: tensor "bert\.encoder\.layer\.0\.intermediate\.dense\.weight" has shape \[32, 8\], config\.json implies \[16, 8\]/,
    );
    expectError(
      make({ configOverrides: { vocab_size: 99 } }).dir,
      /word_embeddings\.weight" has shape \[50, 8\], config\.json implies \[99, 8\]/,
    );
  });

  it('a pickle-only checkpoint, saying to convert it', () => {
    const dir = make().dir;
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), Buffer.from([0x80, 0x02]));
    expectError(
      dir,
      /only pytorch_model\.bin, a Python pickle; RankLens never executes pickles\. Convert it to safetensors/,
    );
  });

  it('a folder without weights or config', () => {
    const dir = make().dir;
    fs.rmSync(path.join(dir, 'model.safetensors'));
    expectError(dir, /has no model\.safetensors or model\.safetensors\.index\.json/);
    fs.rmSync(path.join(dir, 'config.json'));
    expectError(dir, /has no config\.json/);
    expectError(path.join(dir, 'nope'), /does not exist/);
  });

  it('a truncated file', () => {
    const dir = make().dir;
    const file = path.join(dir, 'model.safetensors');
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 10);
    expectError(
      dir,
      /model\.safetensors: truncated safetensors file: tensor "classifier\.(weight|bias)" ends at byte \d+, file has \d+/,
    );
    fs.truncateSync(file, 5);
    expectError(dir, /truncated safetensors file \(5 bytes, no header length\)/);
    fs.truncateSync(file, 40);
    expectError(dir, /truncated safetensors file: header needs \d+ bytes, file has 40/);
  });

  it('a bad header', () => {
    const dir = make().dir;
    const file = path.join(dir, 'model.safetensors');
    const junk = Buffer.from('{"a": nonsense}   ');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(junk.length));
    fs.writeFileSync(file, Buffer.concat([length, junk]));
    expectError(dir, /model\.safetensors: bad safetensors header: not JSON/);
    length.writeBigUInt64LE(1n << 40n);
    fs.writeFileSync(file, Buffer.concat([length, junk]));
    expectError(dir, /bad safetensors header: declared header length \d+ bytes; expected at most 16777216/);
    const entry = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
    length.writeBigUInt64LE(BigInt(entry.length));
    fs.writeFileSync(file, Buffer.concat([length, entry, Buffer.alloc(12)]));
    assert.throws(
      () => readSafetensorsHeader(file),
      /"x" has shape \[3\] F32 \(12 bytes\) but data_offsets span 8 bytes/,
    );
  });

  it('unsupported dtypes', () => {
    const dir = make().dir;
    const file = path.join(dir, 'model.safetensors');
    const entry = Buffer.from(
      JSON.stringify({
        'bert.embeddings.word_embeddings.weight': { dtype: 'F64', shape: [50, 8], data_offsets: [0, 3200] },
      }),
    );
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(entry.length));
    fs.writeFileSync(file, Buffer.concat([length, entry, Buffer.alloc(3200)]));
    expectError(dir, /"bert\.embeddings\.word_embeddings\.weight" has dtype F64; expected F32, F16 or BF16/);
  });

  it('a shard named by the index that is missing', () => {
    const written = make({ shards: 2 });
    fs.rmSync(path.join(written.dir, 'model-00002-of-00002.safetensors'));
    expectError(
      written.dir,
      /model\.safetensors\.index\.json names shard model-00002-of-00002\.safetensors, which is missing/,
    );
  });

  it('writeSafetensors round-trips through the header reader', () => {
    const dir = make().dir;
    const file = path.join(dir, 'x.safetensors');
    writeSafetensors(file, [['t', { shape: [2, 3], data: new Float32Array(6) }]], 'BF16');
    const [record] = readSafetensorsHeader(file);
    assert.equal(record.name, 't');
    assert.deepEqual(record.shape, [2, 3]);
    assert.equal(record.end - record.begin, 12);
  });
});

describe('scoreFromLogits', () => {
  it('uses the logit for one label and softmax(logits)[1] for two', () => {
    assert.deepEqual(scoreFromLogits([0]), { logits: [0], score: 0, sigmoid: 0.5 });
    const two = scoreFromLogits([1, 3]);
    assert.ok(Math.abs(two.score - Math.exp(3) / (Math.exp(1) + Math.exp(3))) < 1e-12);
    assert.throws(() => scoreFromLogits([1, 2, 3]), /expected 1 or 2 logits, got 3/);
  });
});
