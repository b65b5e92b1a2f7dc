// The compiled-graph cache must never be trusted blindly: a checkpoint edited anywhere gets a new graph, a
// corrupt or swapped cached graph is rebuilt by itself, a poisoned checkpoint never reaches the cache, and
// the cache stays within its size bound.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDir, writeRandomCheckpoint, type CheckpointSpec } from '../../support/checkpoints';
import { syntheticPair } from '../../support/model-fixtures';
import { openBertCheckpoint } from '../../../src/core/model/checkpoint';
import { contentHash } from '../../../src/core/model/contentHash';
import { readSafetensorsHeader } from '../../../src/core/model/safetensors';
import {
  defaultCacheRoot,
  ensureBertGraphFile,
  hashMemoDirOf,
  manifestPathOf,
  prepareGraphCacheDir,
  trimGraphCache,
} from '../../../src/core/bert/cache';
import { Ranker } from '../../../src/core/runtime/ranker';

// Large enough (≈1 MB) that an edit in the middle is far from the first and last 64 KiB.
const SPEC: CheckpointSpec = { layers: 2, heads: 2, hidden: 64, vocab: 3000, numLabels: 1, seed: 11 };
const MIDDLE_TENSOR = 'bert.encoder.layer.0.intermediate.dense.weight';
const pairs = Array.from({ length: 5 }, (_, i) => syntheticPair(2 + i, 6 + 3 * i, 3000, i));

let root: string;
let original: string;
let originalScores: number[];

/** Copies a checkpoint and overwrites one float32 in the middle of MIDDLE_TENSOR, keeping size and mtime. */
function copyWithWeight(from: string, to: string, value: number): string {
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
  setMiddleWeight(to, value);
  return to;
}

function setMiddleWeight(dir: string, value: number): void {
  const file = path.join(dir, 'model.safetensors');
  const before = fs.statSync(file);
  const record = readSafetensorsHeader(file).find((r) => r.name === MIDDLE_TENSOR)!;
  const offset = record.begin + 4 * Math.floor((record.end - record.begin) / 8);
  const bytes = Buffer.alloc(4);
  bytes.writeFloatLE(value);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, 4, offset);
  fs.closeSync(fd);
  fs.utimesSync(file, before.atime, before.mtime);
}

async function scoresOf(dir: string, cacheDir: string, extra: { maxCacheBytes?: number } = {}) {
  const ranker = await Ranker.load(dir, { threads: 1, cacheDir, ...extra });
  try {
    return (await ranker.score(pairs)).map((r) => r.score);
  } finally {
    await ranker.dispose();
  }
}

const graphsIn = (cacheDir: string) => fs.readdirSync(cacheDir).filter((f) => f.endsWith('.onnx'));

before(async () => {
  root = tempDir('graph-cache');
  original = path.join(root, 'original');
  writeRandomCheckpoint(original, SPEC);
  originalScores = await scoresOf(original, path.join(root, 'reference-cache'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('checkpoint fingerprint', () => {
  it('changes when one weight in the middle changes, even with the same size and mtime', () => {
    const edited = copyWithWeight(original, path.join(root, 'edited-copy'), 0.125);
    const file = (d: string) => fs.statSync(path.join(d, 'model.safetensors'));
    assert.equal(file(edited).size, file(original).size);
    assert.ok(Math.abs(file(edited).mtimeMs - file(original).mtimeMs) < 2, 'same mtime');
    assert.notEqual(openBertCheckpoint(edited).fingerprint, openBertCheckpoint(original).fingerprint);
  });

  it('is remembered per version of the file and recomputed after an in-place edit with mtime set back', () => {
    const dir = path.join(root, 'memo-subject');
    fs.cpSync(original, dir, { recursive: true });
    const memo = path.join(root, 'memo');
    const weights = path.join(dir, 'model.safetensors');
    const first = contentHash(weights, memo);
    assert.equal(fs.readdirSync(memo).length, 1, 'one sidecar');
    assert.equal(contentHash(weights, memo), first);
    setMiddleWeight(dir, -0.25); // same size, same mtime: only ctime and content tell
    const second = contentHash(weights, memo);
    assert.notEqual(second, first);
    assert.equal(second, contentHash(weights), 'the memo agrees with a fresh full hash');
  });
});

describe('graph cache', () => {
  it('rebuilds a truncated, swapped or unmanifested cached graph and scores exactly as before', async () => {
    const cacheDir = path.join(root, 'corruption-cache');
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores);
    const [graph] = graphsIn(cacheDir);
    const graphFile = path.join(cacheDir, graph);
    const wholeSize = fs.statSync(graphFile).size;

    fs.truncateSync(graphFile, Math.floor(wholeSize / 2));
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores, 'after truncation');
    assert.equal(fs.statSync(graphFile).size, wholeSize);

    // Another checkpoint's graph under this one's name: same size (a path of the same length is recorded
    // in the graph), different weights.
    const other = copyWithWeight(original, path.join(root, 'swapped!'), 3.5);
    const otherGraph = ensureBertGraphFile(
      openBertCheckpoint(other),
      'score',
      path.join(root, 'other-cache'),
    );
    assert.equal(fs.statSync(otherGraph).size, wholeSize);
    fs.copyFileSync(otherGraph, graphFile);
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores, 'after a swap');

    fs.writeFileSync(manifestPathOf(graphFile), '{ not json');
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores, 'after a broken manifest');
    assert.deepEqual(graphsIn(cacheDir), [graph]);
  });

  it('refuses a copy with one NaN weight, which never reaches the cache or changes another checkpoint', async () => {
    const cacheDir = path.join(root, 'shared-cache');
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores);
    const poisoned = copyWithWeight(original, path.join(root, 'poisoned'), NaN);
    await assert.rejects(
      Ranker.load(poisoned, { threads: 1, cacheDir }),
      new RegExp(`model\\.safetensors: tensor "${MIDDLE_TENSOR.replace(/\./g, '\\.')}" holds NaN at element`),
    );
    assert.equal(graphsIn(cacheDir).length, 1, 'only the original graph is cached');
    assert.deepEqual(await scoresOf(original, cacheDir), originalScores);
  });

  it('stays within its size bound, evicting the least recently used graph', async () => {
    const cacheDir = path.join(root, 'bounded-cache');
    await scoresOf(original, cacheDir);
    const [first] = graphsIn(cacheDir);
    const oneGraph = fs.statSync(path.join(cacheDir, first)).size;
    const second = copyWithWeight(original, path.join(root, 'second'), 0.5);
    await scoresOf(second, cacheDir, { maxCacheBytes: Math.floor(1.5 * oneGraph) });
    const left = graphsIn(cacheDir);
    assert.equal(left.length, 1);
    assert.notEqual(left[0], first, 'the older graph was evicted');
    assert.ok(!fs.existsSync(manifestPathOf(path.join(cacheDir, first))), 'with its manifest');
    assert.ok(fs.existsSync(hashMemoDirOf(cacheDir)), 'content hashes are remembered in the cache');
  });

  it("trims only its own file names: a user's files in a marked cache folder survive byte for byte", () => {
    const cacheDir = path.join(root, 'shared-with-user');
    prepareGraphCacheDir(cacheDir);
    const userFiles = { 'notes.json': '{"mine": true}', 'result.json': '{}', 'x.partial': 'keep' };
    for (const [name, text] of Object.entries(userFiles)) fs.writeFileSync(path.join(cacheDir, name), text);
    const old = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    fs.utimesSync(path.join(cacheDir, 'x.partial'), old, old);
    // A manifest of the cache's own naming whose graph is gone is the cache's to remove.
    const orphan = path.join(cacheDir, `bert-score-${'0'.repeat(32)}.json`);
    fs.writeFileSync(orphan, '{}');
    trimGraphCache(cacheDir, 0);
    for (const [name, text] of Object.entries(userFiles))
      assert.equal(fs.readFileSync(path.join(cacheDir, name), 'utf8'), text, name);
    assert.ok(!fs.existsSync(orphan), "the cache's own orphaned manifest is removed");
  });

  it('lives in the user cache folder, never in the shared temp folder', () => {
    assert.equal(defaultCacheRoot({ XDG_CACHE_HOME: '/home/u/.xdg' }), '/home/u/.xdg/ranklens');
    assert.equal(
      defaultCacheRoot({ XDG_CACHE_HOME: 'relative' }),
      path.join(os.homedir(), '.cache', 'ranklens'),
    );
    assert.ok(!defaultCacheRoot({}).startsWith(os.tmpdir()));
  });
});
