// Runs test/integration/suite.ts in a real VS Code extension host:
// - with VS Code itself through @vscode/test-electron when VSCODE_EXECUTABLE (or `code` on PATH) is available;
// - otherwise with code-server + headless Chromium (scripts/setup-code-server.sh installs them), as in CI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { scratchTmp } from './lib/scratch-tmp.mjs';

const root = new URL('..', import.meta.url).pathname;
const suite = join(root, 'out', 'test', 'integration', 'suite.js');
if (!existsSync(suite)) {
  console.error(`${suite} is missing: run npm run build first`);
  process.exit(1);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const vscodeExecutable =
  process.env.VSCODE_EXECUTABLE ?? (process.env.RANKLENS_USE_CODE_SERVER ? undefined : which('code'));
if (vscodeExecutable && !/code-server/.test(vscodeExecutable)) {
  const { runTests } = await import('@vscode/test-electron');
  try {
    await runTests({
      vscodeExecutablePath: vscodeExecutable,
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
    });
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}

const setup = execFileSync('bash', [join(root, 'scripts', 'setup-code-server.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const scratch = scratchTmp('integration');
const env = { ...process.env, ...scratch.env };
for (const line of setup.split('\n')) {
  const m = /^(CODE_SERVER|NODE24_BIN)=(.*)$/.exec(line);
  if (m) env[m[1]] = m[2];
}
const driver = join(root, 'test', 'e2e', 'codeServer.mjs');
const suiteRun = spawnSync(process.execPath, [driver, 'tests'], { cwd: root, env, stdio: 'inherit' });
// The packaged .vsix, installed as a user would, driven through the command palette.
const packaged = spawnSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
const paletteRun =
  packaged.status === 0
    ? spawnSync(process.execPath, [driver, 'palette'], { cwd: root, env, stdio: 'inherit' })
    : packaged;
// The same .vsix in an untrusted workspace (Restricted Mode), with workspace trust on in a fresh profile.
const untrustedRun =
  packaged.status === 0
    ? spawnSync(process.execPath, [driver, 'untrusted'], { cwd: root, env, stdio: 'inherit' })
    : packaged;
// The same .vsix in a folder without MS MARCO files: inactive until its view is opened.
const activationRun =
  packaged.status === 0
    ? spawnSync(process.execPath, [driver, 'activation'], { cwd: root, env, stdio: 'inherit' })
    : packaged;
scratch.remove();
process.exit([suiteRun, paletteRun, untrustedRun, activationRun].every((r) => r.status === 0) ? 0 : 1);
