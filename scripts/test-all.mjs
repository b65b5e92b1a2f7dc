// `npm test`: static checks, unit tests (with core coverage), then the integration suite in a real VS Code
// extension host. Ends with one "N passed, N failed, N skipped" line that counts both suites: a skipped test is
// counted and named, never folded into the passes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, opts = {}) => {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let failedSteps = [];

// Everything the tests use is installed first (idempotent: a second run takes seconds), so a fresh clone's
// `npm test` skips nothing; RANKLENS_SKIP_INSTALL=1 leaves the machine as it is.
if (process.env.RANKLENS_SKIP_INSTALL !== '1' && run('bash', ['scripts/install.sh']) !== 0) {
  console.log('install failed: the tests need what scripts/install.sh installs');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
// With the references installed, a cross-check that cannot find one fails instead of skipping.
const testEnv = { ...process.env, RANKLENS_REQUIRE_TORCH: process.env.RANKLENS_REQUIRE_TORCH ?? '1' };

if (run(npm, ['run', '--silent', 'check']) !== 0) failedSteps.push('check (tsc, eslint, prettier)');
if (run(npm, ['run', '--silent', 'build']) !== 0) failedSteps.push('build');

// Unit tests: spec to the console, TAP to a file we can count.
const tapDir = mkdtempSync(join(tmpdir(), 'ranklens-tap-'));
const tapFile = join(tapDir, 'unit.tap');
const unitStatus = run(process.execPath, ['scripts/run-unit-tests.mjs', '--coverage'], {
  env: { ...testEnv, RANKLENS_TAP_FILE: tapFile },
});
let unitPassed = 0;
let unitFailed = unitStatus === 0 ? 0 : 1;
let unitSkipped = 0;
let skippedNames = [];
if (existsSync(tapFile)) {
  const tap = readFileSync(tapFile, 'utf8');
  unitPassed = Number(/^# pass (\d+)/m.exec(tap)?.[1] ?? 0);
  unitFailed = Math.max(Number(/^# fail (\d+)/m.exec(tap)?.[1] ?? 0), unitStatus === 0 ? 0 : 1);
  // Counted from the SKIP/TODO lines, not from '# skipped': node does not count a skipped describe() there.
  skippedNames = [...tap.matchAll(/^\s*ok \d+ - (.*?) # (?:SKIP|TODO)\b ?(.*)$/gm)].map(
    (m) => `${m[1]}${m[2] ? ` (${m[2]})` : ''}`,
  );
  unitSkipped = skippedNames.length;
}
rmSync(tapDir, { recursive: true, force: true });

let integrationPassed = 0;
let integrationFailed = 0;
let integrationSkipped = false;
if (process.env.RANKLENS_SKIP_INTEGRATION === '1') {
  console.log('\nintegration tests skipped (RANKLENS_SKIP_INTEGRATION=1)');
  integrationSkipped = true;
} else {
  const result = spawnSync(process.execPath, ['scripts/run-integration-tests.mjs'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout ?? '');
  const counts = [...(result.stdout ?? '').matchAll(/(\d+) passed, (\d+) failed/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
  for (const [p, f] of counts) {
    integrationPassed += p;
    integrationFailed += f;
  }
  if (result.status !== 0 && integrationFailed === 0) integrationFailed = 1;
}

console.log(
  `\nunit: ${unitPassed} passed, ${unitFailed} failed, ${unitSkipped} skipped; integration: ${integrationPassed} passed, ${integrationFailed} failed`,
);
if (integrationSkipped) skippedNames.push('the whole integration suite (RANKLENS_SKIP_INTEGRATION=1)');
for (const name of skippedNames) console.log(`skipped: ${name}`);
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
const failed = unitFailed + integrationFailed + failedSteps.length;
console.log(`${unitPassed + integrationPassed} passed, ${failed} failed, ${skippedNames.length} skipped`);
process.exit(failed === 0 ? 0 : 1);
