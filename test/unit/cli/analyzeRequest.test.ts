// `ranklens analyze NAME --request FILE`: the request VS Code writes for a Slurm run; one process and shards + merge
// give the same bytes, and the worker's in-process path (runAnalysisRequest) gives that result too.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput } from '../../support/captureOutput';
import { tempDir } from '../../support/checkpoints';
import { writeTinyModelAndDataset, type TinyDatasetFiles } from '../../support/tinyDataset';
import { main } from '../../../src/cli/main';
import { InProcessAnalysisModel } from '../../../src/core/analysis/inProcessModel';
import { runAnalysisRequest, type AnalysisRunRequest } from '../../../src/core/analysis/runRequest';

let root: string;
let modelDir: string;
let files: TinyDatasetFiles;
let requestFile: string;

before(() => {
  root = tempDir('analyze-request');
  ({ modelDir, files } = writeTinyModelAndDataset(
    root,
    { layers: 2, heads: 2, hidden: 8, numLabels: 1, seed: 31 },
    { queries: 6, candidates: 4 },
  ));
  const request: AnalysisRunRequest = {
    name: 'rerank',
    settings: {},
    data: {
      collection: files.collection,
      queries: files.queries,
      qrels: files.qrels,
      run: files.run,
      depth: 4,
    },
    dir: path.join(root, 'ignored'),
    maxLength: 64,
    chunkPairs: 4,
  };
  requestFile = path.join(root, 'request.json');
  fs.writeFileSync(requestFile, JSON.stringify(request));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const common = () => [
  '--request',
  requestFile,
  '--model',
  modelDir,
  '--threads',
  '1',
  '--cache-dir',
  path.join(root, 'graphs'),
];

describe('ranklens analyze --request', () => {
  it('one process, shards + merge, and the in-process request runner write the same result.json', async () => {
    const single = path.join(root, 'single');
    const r = await captureOutput(() => main(['analyze', 'rerank', ...common(), '--out', single]));
    assert.equal(r.code, 0, r.err);
    assert.ok(!fs.existsSync(path.join(root, 'ignored')), '--out replaces the request folder');
    const sharded = path.join(root, 'sharded');
    for (const k of ['1/2', '2/2']) {
      const s = await captureOutput(() =>
        main(['analyze', 'rerank', ...common(), '--out', sharded, '--shard', k]),
      );
      assert.equal(s.code, 0, s.err);
      assert.match(s.out, /wrote .*partials\/shard-\d-of-2\.json \(\d+ pairs/);
    }
    const merged = await captureOutput(() => main(['merge', sharded]));
    assert.equal(merged.code, 0, merged.err);
    const bytes = fs.readFileSync(path.join(single, 'result.json'));
    assert.ok(bytes.equals(fs.readFileSync(path.join(sharded, 'result.json'))));

    const model = await InProcessAnalysisModel.load(modelDir, { threads: 1 });
    try {
      const request = JSON.parse(fs.readFileSync(requestFile, 'utf8')) as AnalysisRunRequest;
      const inWorkerPath = path.join(root, 'in-process');
      await runAnalysisRequest({ ...request, dir: inWorkerPath }, model);
      assert.ok(bytes.equals(fs.readFileSync(path.join(inWorkerPath, 'result.json'))));
    } finally {
      await model.dispose();
    }
  });

  it('names the file when the request is not one', async () => {
    const bad = path.join(root, 'bad.json');
    fs.writeFileSync(bad, '{"name": "attention"}');
    const r = await captureOutput(() =>
      main(['analyze', 'rerank', '--request', bad, '--out', path.join(root, 'x')]),
    );
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`${bad.replace(/[.]/g, '\\.')}: expected an analysis request with name`));
  });
});
