// Mutation check (not part of CI): applies realistic single-point bugs one at a time to a copy of HEAD and runs
// the unit tests that should catch each. A mutant the tests still pass ("survived") is a wrong answer the
// suite would let through.
//
//   node scripts/mutation-check.mjs                 every mutant but those another issue's tests cover
//   node scripts/mutation-check.mjs --all           those too
//   node scripts/mutation-check.mjs --only ID,ID    some of them
//   node scripts/mutation-check.mjs --list          the list, nothing run
//
// The working tree is never edited: HEAD is exported (git archive) to a temporary folder, each mutant is
// written there and the file restored in a finally, and the folder is removed at the end. A dirty tree is
// refused, since its uncommitted changes would not be in the copy being mutated.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);

/**
 * id, where the bug goes (file, the exact text it replaces, found exactly once), and the test files that
 * must fail on it. `issue22` marks the mutants issue 22 lists: a survivor among them fails the run;
 * `coveredBy` names another issue whose tests are to kill it (skipped without --all).
 */
const MUTANTS = [
  // Issue 22's list.
  {
    id: 'probing-heldout-leak',
    issue22: true,
    what: 'probes trained on train + held-out pairs',
    file: 'src/core/analysis/probing.ts',
    find: 'const trainData = selectExamples(all, train);',
    replace: 'const trainData = selectExamples(all, [...train, ...evaluation]);',
    tests: ['test/unit/analysis/probing.test.ts'],
  },
  {
    id: 'probing-shuffle-ignored',
    issue22: true,
    what: 'shuffleLabels ignored',
    file: 'src/core/analysis/probing.ts',
    find: 'const labelled = shuffledLabels ? { ...trainData, labels: Uint8Array.from(shuffledLabels) } : trainData;',
    replace: 'const labelled = trainData;',
    tests: ['test/unit/analysis/probing.test.ts'],
  },
  {
    id: 'period-token-mask-as-attention-mask',
    issue22: true,
    what: 'token mask run as an attention mask in period masking',
    file: 'src/core/analysis/periodMask.ts',
    find: "'token-mask': { kind: 'token', layers: 'all', from: 'all', to: ['period'] },",
    replace: "'token-mask': { kind: 'attention', layers: 'all', from: 'all', to: ['period'] },",
    tests: ['test/unit/analysis/masking.test.ts'],
  },
  {
    id: 'period-unk-for-comma',
    issue22: true,
    what: 'periods replaced by [UNK] instead of ","',
    file: 'src/core/analysis/periodMask.ts',
    find: "const commaId = context.tokenId(',');",
    replace: "const commaId = context.tokenId('[UNK]');",
    tests: ['test/unit/analysis/masking.test.ts'],
  },
  {
    id: 'interaction-depth0-from-depth1',
    issue22: true,
    what: 'Figure 4 depth 0 of two directions taken from the depth-1 (masked) scores',
    file: 'src/core/analysis/interactionMask.ts',
    find: 'byDirection.push(d === 0 ? scores : [byDirection[0][0], ...scores]);',
    replace: 'byDirection.push(d === 0 ? scores : [scores[0], ...scores]);',
    tests: ['test/unit/analysis/interaction.test.ts'],
  },
  {
    id: 'ranking-ties-pid-ascending',
    issue22: true,
    what: "tie order by pid ascending instead of trec_eval's",
    file: 'src/core/analysis/ranking.ts',
    find: '(pids[a] < pids[b] ? 1 : pids[a] > pids[b] ? -1 : 0)',
    replace: '(pids[a] < pids[b] ? -1 : pids[a] > pids[b] ? 1 : 0)',
    tests: ['test/unit/analysis/ranking.test.ts'],
  },
  {
    id: 'rerank-fusion-plus-rank',
    issue22: true,
    what: 're-rank fusion with +rank instead of -rank for runs without scores',
    file: 'src/core/analysis/rerank.ts',
    find: 'q.runRanks.map((r) => -r)',
    replace: 'q.runRanks.map((r) => r)',
    tests: ['test/unit/analysis/runner.test.ts'],
  },
  {
    id: 'layernorm-vjp-no-eps',
    issue22: true,
    what: 'LayerNorm VJP without eps',
    file: 'src/core/graph/autodiff.ts',
    find: 'g.addT(mean(g.mul(centred, centred)), scalar(epsilon))',
    replace: 'mean(g.mul(centred, centred))',
    tests: ['test/unit/autodiff/vjp.test.ts'],
  },
  {
    id: 'f16-subnormal-half',
    issue22: true,
    what: 'F16 subnormals read at half their value',
    file: 'src/core/model/safetensors.ts',
    find: 'if (exponent === 0) return sign * fraction * 2 ** -24;',
    replace: 'if (exponent === 0) return sign * fraction * 2 ** -25;',
    tests: ['test/unit/model/checkpoint.test.ts'],
  },
  {
    id: 'content-hash-first-8mib',
    issue22: true,
    what: 'content hash over the first 8 MiB only',
    file: 'src/core/model/contentHash.ts',
    find: 'if (n === 0) break;\n      hash.update(buffer.subarray(0, n));',
    replace: 'hash.update(buffer.subarray(0, n));\n      break;',
    tests: ['test/unit/model/contentHash.test.ts'],
  },
  {
    id: 'graph-cache-trim-foreign-files',
    issue22: true,
    what: 'graph-cache trim deletes any file without an .onnx twin (names not checked)',
    file: 'src/core/bert/cache.ts',
    find: '    if (!isGraphCacheFileName(name)) continue;\n',
    replace: '',
    tests: ['test/unit/bert/graphCache.test.ts'],
  },
  {
    id: 'validator-skips-missing-fields',
    issue22: true,
    what: 'a message validator that skips missing fields',
    file: 'src/protocol/validate.ts',
    find: 'for (const [key, check] of Object.entries(shape))\n      check(',
    replace: 'for (const [key, check] of Object.entries(shape))\n      if (Object.hasOwn(value, key)) check(',
    tests: ['test/unit/protocol/endpoint.test.ts'],
  },
  {
    id: 'attention-sums-float32',
    issue22: true,
    what: 'per-head attention sums accumulated in float32',
    file: 'src/core/analysis/attention.ts',
    find: 'sums[lh] += mass / rowCount;',
    replace: 'sums[lh] = Math.fround(sums[lh] + mass / rowCount);',
    tests: ['test/unit/analysis/attention.test.ts'],
  },
  {
    id: 'shard-runs-next-shards-chunks',
    issue22: true,
    what: "shard k running shard k+1's chunks",
    file: 'src/core/analysis/runner.ts',
    find: 'chunks.filter((c) => c.index % shard.count === shard.index - 1)',
    replace: 'chunks.filter((c) => c.index % shard.count === shard.index % shard.count)',
    tests: ['test/unit/analysis/runner.test.ts'],
  },
  // More single-point bugs: metrics, readers, masking, IG, probing, sharding.
  {
    id: 'mrr-depth-off-by-one',
    what: 'MRR@10 counts a first relevant passage at rank 10 as missed',
    file: 'src/core/eval/metrics.ts',
    find: 'first && first.rank <= o.mrrDepth ? 1 / first.rank : 0',
    replace: 'first && first.rank < o.mrrDepth ? 1 / first.rank : 0',
    tests: ['test/unit/eval/metrics.test.ts'],
  },
  {
    id: 'ndcg-exponential-gain',
    what: "nDCG with 2^grade - 1 gains instead of trec_eval's linear gains",
    file: 'src/core/eval/metrics.ts',
    find: 'const gain = Math.max(0, grades.get(candidate.pid) ?? 0);',
    replace: 'const gain = Math.max(0, 2 ** (grades.get(candidate.pid) ?? 0) - 1);',
    tests: ['test/unit/eval/metrics.test.ts'],
  },
  {
    id: 'recall-counts-any-judged',
    what: 'recall counts every judged passage found, grade 0 included',
    file: 'src/core/eval/metrics.ts',
    find: ': ranking.filter((c) => c.rank <= k && (grades.get(c.pid) ?? 0) >= o.minRelevance).length;',
    replace: ': ranking.filter((c) => c.rank <= k && grades.has(c.pid)).length;',
    tests: ['test/unit/eval/metrics.test.ts'],
  },
  {
    id: 'trec-run-ties-docno-ascending',
    what: 'TREC run reader breaks score ties by docno ascending',
    file: 'src/core/data/runs.ts',
    find: 'return pa < pb ? 1 : pa > pb ? -1 : 0;',
    replace: 'return pa < pb ? -1 : pa > pb ? 1 : 0;',
    tests: ['test/unit/data/readers.test.ts', 'test/unit/eval/metrics.test.ts'],
  },
  {
    id: 'qrels-pid-from-iteration-column',
    what: 'qrels reader takes the pid from column 2 (the iteration "0")',
    file: 'src/core/data/qrels.ts',
    find: 'fields.length === 4 ? [fields[0], fields[2], fields[3]]',
    replace: 'fields.length === 4 ? [fields[0], fields[1], fields[3]]',
    tests: ['test/unit/data/readers.test.ts'],
  },
  {
    id: 'period-rule-either-neighbour',
    what: '"." is no period when EITHER neighbour is a number (Zhan et al.: both)',
    file: 'src/core/text/pair.ts',
    find: 'isNumberToken(list[j - 1]!.text) && isNumberToken(list[j + 1]!.text)',
    replace: 'isNumberToken(list[j - 1]!.text) || isNumberToken(list[j + 1]!.text)',
    tests: ['test/unit/text/pair.test.ts', 'test/unit/analysis/masking.test.ts'],
  },
  {
    id: 'period-mask-grade-strict',
    what: 'period masking modifies passages graded above minRelevance only (not at it)',
    file: 'src/core/analysis/periodMask.ts',
    find: 'if (c.grade >= minRelevance) modified.push(at);',
    replace: 'if (c.grade > minRelevance) modified.push(at);',
    tests: ['test/unit/analysis/masking.test.ts'],
  },
  {
    id: 'interaction-query-to-document-reversed',
    what: 'query -> doc masks the query attending to the document (the other direction)',
    file: 'src/core/analysis/interactionMask.ts',
    find: "masks: [{ from: ['document-segment'], to: ['query-segment'] }],\n  },",
    replace: "masks: [{ from: ['query-segment'], to: ['document-segment'] }],\n  },",
    tests: ['test/unit/analysis/interaction.test.ts'],
  },
  {
    id: 'ig-baselines-swapped',
    what: 'the empty-query baseline blanks the passage (and empty-document the query)',
    file: 'src/core/attribution/attribute.ts',
    find: "baseline === 'empty-query' ? isQueryToken : isPassageToken",
    replace: "baseline === 'empty-query' ? isPassageToken : isQueryToken",
    tests: [
      'test/unit/attribution/integratedGradients.test.ts',
      'test/unit/analysis/attributionProbing.test.ts',
    ],
  },
  {
    id: 'ig-gauss-legendre-nodes-unscaled',
    what: 'Gauss-Legendre nodes left on [-1, 1] instead of mapped to [0, 1]',
    file: 'src/core/attribution/quadrature.ts',
    find: 'nodes[n - 1 - i] = (1 + x) / 2;',
    replace: 'nodes[n - 1 - i] = x;',
    tests: ['test/unit/attribution/gaussLegendre.test.ts'],
  },
  {
    id: 'probing-mrr-ties-in-list-order',
    what: 'probe MRR@10 ranks tied scores in listed (BM25) order instead of at chance',
    file: 'src/core/analysis/probing.ts',
    find: 'while (end < ranked.length && scores[ranked[end]] === scores[ranked[at]]) end++;',
    replace: '',
    tests: ['test/unit/analysis/probe.test.ts'],
  },
  {
    id: 'stop-words-49',
    what: 'stop words are the top 49 WordPieces by document frequency',
    file: 'src/core/analysis/stopWords.ts',
    find: 'count = 50,',
    replace: 'count = 49,',
    tests: ['test/unit/analysis/probe.test.ts'],
  },
  {
    id: 'rerank-minmax-divides-by-max',
    what: 'fusion min-max divides by the maximum instead of the range',
    file: 'src/core/analysis/rerank.ts',
    find: 'hi > lo ? (v - lo) / (hi - lo) : 0',
    replace: 'hi > lo ? (v - lo) / hi : 0',
    tests: ['test/unit/analysis/runner.test.ts'],
  },
  {
    id: 'attention-chance-per-row-kind',
    what: "attention chance level divided by the attending rows' count instead of all tokens",
    file: 'src/core/analysis/attention.ts',
    find: 'chanceSum += keys.reduce((n, k) => n + r.kindCounts[k], 0) / total;',
    replace: 'chanceSum += keys.reduce((n, k) => n + r.kindCounts[k], 0) / rowCount;',
    tests: ['test/unit/analysis/attention.test.ts'],
  },
  {
    id: 'layernorm-eps-floored',
    what: 'the score graph floors LayerNorm epsilon at 1e-5 (a ~1e-5 relative drift on every logit)',
    file: 'src/core/bert/graph.ts',
    find: '      config.layerNormEps,',
    replace: '      Math.max(config.layerNormEps, 1e-5),',
    tests: ['test/unit/bert/reference.test.ts', 'test/unit/runtime/bundledModel.test.ts'],
  },
  {
    id: 'bf16-read-as-f16',
    what: 'BF16 tensors decoded with the F16 table',
    file: 'src/core/model/safetensors.ts',
    find: "if (dtype === 'BF16') {\n    const bits",
    replace: "if (dtype === 'F16') {\n    const bits",
    tests: ['test/unit/model/checkpoint.test.ts'],
  },
];

function parseArgs(argv) {
  const only = argv.find((a) => a.startsWith('--only'));
  const onlyValue = only?.includes('=')
    ? only.split('=')[1]
    : only
      ? argv[argv.indexOf(only) + 1]
      : undefined;
  return {
    all: argv.includes('--all'),
    list: argv.includes('--list'),
    only: onlyValue ? new Set(onlyValue.split(',')) : undefined,
  };
}

function git(args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs the unit tests named by `tests` in `dir`; resolves to their exit status (null on a timeout). */
function runTests(dir, tests, env, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-unit-tests.mjs', ...tests], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** The failing tests' names from node:test's spec output (lines starting with ✖ ), first few. */
function failedTests(output) {
  const names = output
    .split('\n')
    .filter((l) => /^\s*✖ /.test(l) && !/^\s*✖ failing tests/.test(l))
    .map((l) =>
      l
        .trim()
        .replace(/^✖ /, '')
        .replace(/ \(\d+(\.\d+)?ms\)$/, ''),
    );
  return [...new Set(names)].slice(0, 3);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const chosen = MUTANTS.filter((m) => (args.only ? args.only.has(m.id) : args.all || !m.coveredBy));
  if (args.list) {
    for (const m of MUTANTS)
      console.log(
        `${m.id}${m.issue22 ? ' [issue 22]' : ''}${m.coveredBy ? ` [${m.coveredBy}]` : ''}: ${m.what}`,
      );
    return 0;
  }
  if (args.only) {
    const unknown = [...args.only].filter((id) => !MUTANTS.some((m) => m.id === id));
    if (unknown.length > 0) throw new Error(`unknown mutant(s): ${unknown.join(', ')}`);
  }
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).trim();
  if (dirty) {
    console.error(
      `refusing to run: the working tree has uncommitted changes (the check mutates a copy of HEAD)\n${dirty}`,
    );
    return 2;
  }
  const head = git(['rev-parse', '--short', 'HEAD']).trim();
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklens-mutants-'));
  const cleanUp = () => fs.rmSync(copy, { recursive: true, force: true });
  const onSignal = () => {
    cleanUp();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const archive = spawnSync('bash', ['-c', `git archive HEAD | tar -x -C ${JSON.stringify(copy)}`], {
      cwd: root,
    });
    if (archive.status !== 0) throw new Error(`git archive: ${archive.stderr}`);
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(copy, 'node_modules'));
    // The tests find the shared data beside the repository; the copy lives elsewhere.
    const env = {
      ...process.env,
      RANKLENS_SHARED_DATA: process.env.RANKLENS_SHARED_DATA ?? path.resolve(root, '..', 'shared', 'data'),
    };
    const timeoutMs = Number(process.env.MUTANT_TIMEOUT_S ?? 600) * 1000;

    // Every mutant's search text must be there exactly once, else the list is stale.
    const stale = chosen.filter((m) => {
      const text = fs.readFileSync(path.join(copy, m.file), 'utf8');
      return text.split(m.find).length !== 2;
    });
    if (stale.length > 0) {
      for (const m of stale) console.error(`stale mutant ${m.id}: its text is not exactly once in ${m.file}`);
      return 2;
    }
    // The tests must pass unmutated, or a "kill" means nothing.
    const testFiles = [...new Set(chosen.flatMap((m) => m.tests))];
    console.log(`HEAD ${head}: baseline run of ${testFiles.length} test files`);
    const baseline = await runTests(copy, testFiles, env, timeoutMs * 2);
    if (baseline.status !== 0) {
      console.error(baseline.output.slice(-4000));
      console.error('the unmutated tests fail: fix them before checking mutants');
      return 2;
    }

    const results = [];
    for (const m of chosen) {
      const file = path.join(copy, m.file);
      const original = fs.readFileSync(file, 'utf8');
      const started = Date.now();
      let outcome;
      try {
        fs.writeFileSync(
          file,
          original.replace(m.find, () => m.replace),
        );
        outcome = await runTests(copy, m.tests, env, timeoutMs);
      } finally {
        fs.writeFileSync(file, original);
      }
      const killed = outcome.status !== 0;
      const by = killed ? failedTests(outcome.output) : [];
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const verdict = outcome.status === null ? 'killed (timeout)' : killed ? 'killed' : 'SURVIVED';
      console.log(`${verdict.padEnd(16)} ${m.id.padEnd(40)} ${seconds.padStart(4)} s  ${by.join(' | ')}`);
      results.push({ ...m, killed });
    }

    const summary = (list, label) => {
      const killed = list.filter((r) => r.killed).length;
      const rate = list.length === 0 ? 0 : (100 * killed) / list.length;
      console.log(`${label}: ${killed}/${list.length} killed (${rate.toFixed(0)} %)`);
    };
    console.log('');
    summary(
      results.filter((r) => r.issue22),
      "issue 22's list",
    );
    summary(
      results.filter((r) => !r.issue22),
      'further mutants',
    );
    summary(results, 'all');
    const survivors = results.filter((r) => !r.killed);
    for (const r of survivors)
      console.log(`survived: ${r.id} (${r.what}) in ${r.file}; tests ${r.tests.join(', ')}`);
    const skipped = MUTANTS.filter((m) => !chosen.includes(m));
    for (const m of skipped)
      console.log(`not run: ${m.id}${m.coveredBy ? ` (covered by ${m.coveredBy}; --all runs it)` : ''}`);
    return survivors.some((r) => r.issue22) ? 1 : 0;
  } finally {
    cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
