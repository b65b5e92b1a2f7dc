// One esbuild configuration for every bundle: the extension host, the CLI, the inference worker and the webviews.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  target: 'es2022',
};

// onnxruntime-node's JavaScript (and onnxruntime-common's) goes into the bundles; only its native binding stays a
// file, which the .vsix ships at its node_modules path without the package's JavaScript or install-time
// dependencies. The binding is required as a package subpath, so Node finds it from any bundle's folder.
const ONNXRUNTIME_BINDING_REQUIRE =
  /require\(`\.\.\/bin\/(napi-v\d+)\/\$\{process\.platform\}\/\$\{process\.arch\}\/onnxruntime_binding\.node`\)/;
const onnxruntimeBinding = {
  name: 'onnxruntime-binding',
  setup(build) {
    build.onLoad({ filter: /[\\/]onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!ONNXRUNTIME_BINDING_REQUIRE.test(source))
        throw new Error(
          `${args.path}: expected the binding's require(\`../bin/napi-v*/\${process.platform}/\${process.arch}/onnxruntime_binding.node\`) (has onnxruntime-node changed how it loads its binding?)`,
        );
      const contents = source.replace(
        ONNXRUNTIME_BINDING_REQUIRE,
        'require(`onnxruntime-node/bin/$1/${process.platform}/${process.arch}/onnxruntime_binding.node`)',
      );
      return { contents, loader: 'js' };
    });
  },
};
const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  external: ['vscode'],
  plugins: [onnxruntimeBinding],
};

const builds = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'out/extension.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'out/cli.js' },
  // Inference runs in this worker thread, off the extension host's event loop (RankerWorkerClient).
  { ...node, entryPoints: ['src/worker/entry.ts'], outfile: 'out/ranker-worker.js' },
  { ...node, entryPoints: ['test/integration/suite.ts'], outfile: 'out/test/integration/suite.js' },
  {
    ...common,
    platform: 'browser',
    format: 'esm',
    entryPoints: {
      evaluation: 'webview/evaluation/main.ts',
      attribution: 'webview/attribution/main.ts',
      report: 'webview/report/panel.ts',
      inspector: 'webview/inspector/main.ts',
      attention: 'webview/attention/main.ts',
    },
    outdir: 'out/webview',
  },
  // The offline HTML report inlines this bundle (no module loader, no network): an IIFE, always minified.
  {
    ...common,
    sourcemap: false,
    minify: true,
    platform: 'browser',
    format: 'iife',
    entryPoints: ['webview/report/standalone.ts'],
    outfile: 'out/webview/report-standalone.js',
  },
];

// The codicon font for icons inside webviews (vscode-elements looks for #vscode-codicon-stylesheet).
const codicons = dirname(createRequire(import.meta.url).resolve('@vscode/codicons/dist/codicon.css'));
mkdirSync('out/webview', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf'])
  copyFileSync(join(codicons, file), join('out/webview', file));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
