// Packages ranklens.vsix for one target (vsce --target; default: this machine's platform). The bundles in out/
// carry every dependency's JavaScript, so the .vsix ships no node_modules but the one folder of native files
// onnxruntime-node loads on the target: its binding and onnxruntime's library.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, existsSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const target =
  process.env.VSCE_TARGET ?? `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const out = join(root, 'ranklens.vsix');
const ignore = join(root, '.vscodeignore');
const base = readFileSync(ignore, 'utf8');
// onnxruntime-node's npm package holds the binaries of every platform it supports, so any target it has a folder
// for can be packaged from any machine.
const binaries = 'node_modules/onnxruntime-node/bin/napi-v6';
const available = readdirSync(join(root, binaries)).flatMap((os) =>
  readdirSync(join(root, binaries, os)).map((arch) => `${os}-${arch}`),
);
if (!available.includes(target)) {
  console.error(
    `onnxruntime-node has no binaries for ${target} in ${binaries}: targets it has are ${available.join(', ')}`,
  );
  process.exit(1);
}
const [targetOs, targetArch] = target.split('-');
writeFileSync(ignore, `${base}\n!${binaries}/${targetOs}/${targetArch}/**\n`);
try {
  if (existsSync(out)) rmSync(out);
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
      'package',
      '--target',
      target,
      '--allow-missing-repository',
      // The README's screenshots are relative paths: the .vsix carries media/screenshots and VS Code resolves them
      // against the installed extension; rewriting them needs a public repository URL, which we do not have.
      '--no-rewrite-relative-links',
      '--skip-license',
      '-o',
      out,
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  // exitCode, not process.exit(): exiting here would skip the finally and leave .vscodeignore edited.
  if (r.status !== 0) process.exitCode = r.status ?? 1;
  else console.log(`packaged ${out} for ${target}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MB`);
} finally {
  writeFileSync(ignore, base);
}
