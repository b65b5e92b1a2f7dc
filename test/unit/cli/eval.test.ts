import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, sharedFile } from '../../support/paths';
import { tempDir, tempFile } from '../../support/tempFiles';

/** Runs the CLI from source in a child process, as a user runs it (its stdout is the test reporter's otherwise). */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args],
    {
      encoding: 'utf8',
    },
  );
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('ranklens eval', () => {
  const run = () => sharedFile('msmarco', 'pygaggle_dev105', 'run.dev.small.tsv');
  const qrels = () => sharedFile('msmarco', 'pygaggle_dev105', 'qrels.dev.small.tsv');

  it('prints MRR@10 0.1591 for the pygaggle BM25 run and writes the full result with --out', async () => {
    const out = path.join(tempDir(), 'result.json');
    const r = await cli(['eval', '--run', run(), '--qrels', qrels(), '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /MRR@10:\s+0\.1591/);
    assert.match(r.out, /105 evaluated, 105 judged, 105 ranked/);
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { mrr: number; perQuery: unknown[] };
    assert.equal(saved.perQuery.length, 105);
  });

  it('prints JSON with --json', async () => {
    const r = await cli(['eval', '--run', run(), '--qrels', qrels(), '--json', '--min-relevance', '1']);
    assert.equal(r.code, 0);
    assert.equal((JSON.parse(r.out) as { queriesEvaluated: number }).queriesEvaluated, 105);
  });

  it('exits 2 with one line pointing at --help on a missing option or an unknown command, and 1 naming the line on bad data', async () => {
    const missing = await cli(['eval', '--run', run()]);
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'ranklens eval: --qrels is required (ranklens eval --help shows the usage)\n');
    assert.equal((await cli(['frobnicate'])).code, 2);
    const bad = await cli([
      'eval',
      '--run',
      tempFile('run.tsv', '1\t2\t1\nbroken line\n'),
      '--qrels',
      qrels(),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /run\.tsv:2: expected 3 tab-separated columns/);
  });

  it('--min-relevance 2 (TREC DL) changes MRR@10 to what the grades give at that threshold', async () => {
    const dl19Run = sharedFile('msmarco', 'dl19_bm25_top100', 'run.dl19.bm25-top100.trec');
    const dl19Qrels = sharedFile('msmarco', 'dl19', 'qrels.dl19-passage.txt');
    const at = async (threshold: string) => {
      const r = await cli([
        'eval',
        '--run',
        dl19Run,
        '--qrels',
        dl19Qrels,
        '--json',
        '--min-relevance',
        threshold,
      ]);
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as { mrr: number; options: { minRelevance: number } };
    };
    // Independently: TREC run ordered by score (ties by docno descending), first passage graded >= 2.
    const grades = new Map<string, number>();
    for (const line of readFileSync(dl19Qrels, 'utf8').trim().split('\n')) {
      const [qid, , pid, grade] = line.split(/\s+/);
      grades.set(`${qid} ${pid}`, Number(grade));
    }
    const byQuery = new Map<string, { pid: string; score: number }[]>();
    for (const line of readFileSync(dl19Run, 'utf8').trim().split('\n')) {
      const [qid, , pid, , score] = line.split(/\s+/);
      if (!byQuery.has(qid)) byQuery.set(qid, []);
      byQuery.get(qid)!.push({ pid, score: Math.fround(Number(score)) });
    }
    const judgedQueries = new Set([...grades.keys()].map((k) => k.split(' ')[0]));
    let sum = 0;
    for (const [qid, list] of byQuery) {
      list.sort((a, b) => b.score - a.score || (a.pid < b.pid ? 1 : -1));
      const first = list.findIndex((c) => (grades.get(`${qid} ${c.pid}`) ?? 0) >= 2);
      if (first >= 0 && first < 10) sum += 1 / (first + 1);
    }
    const strict = await at('2');
    assert.equal(strict.options.minRelevance, 2);
    assert.ok(
      Math.abs(strict.mrr - sum / judgedQueries.size) < 1e-12,
      `${strict.mrr} vs ${sum / judgedQueries.size}`,
    );
    assert.ok(strict.mrr < (await at('1')).mrr, 'grade-1 passages no longer count');
  });
});
