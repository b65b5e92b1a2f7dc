// Packages ranklens.vsix for this machine's platform: onnxruntime-node is native, so each .vsix carries the
// binaries of one target only (vsce --target), and .vscodeignore drops the other platforms' 200+ MB.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const target =
  process.env.VSCE_TARGET ?? `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const out = join(root, 'ranklens.vsix');
const ignore = join(root, '.vscodeignore');
const base = readFileSync(ignore, 'utf8');
// The other architecture of the same OS also goes (linux-x64 drops linux/arm64 and the reverse).
const otherArch = process.arch === 'x64' ? 'arm64' : 'x64';
const extra = `\nnode_modules/onnxruntime-node/bin/napi-v*/${process.platform}/${otherArch}/**\n`;
writeFileSync(ignore, base + extra);
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
