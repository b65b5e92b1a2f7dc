// Checks, in the Chromium the e2e tests use, what the webviews' Content-Security-Policy (no 'unsafe-inline')
// allows: lit's constructable stylesheets, CSSOM assignments (our cssom() directive, echarts) — and refuses:
// style attributes (setAttribute, lit's styleMap, innerHTML) and <style> elements without the nonce.
//   node test/e2e/cspProbe.mjs      prints one line per check; exits 1 if Chromium disagrees with the policy
/* global window */
import { chromium } from 'playwright-core';
import * as esbuild from 'esbuild';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const root = new URL('../..', import.meta.url).pathname;
const bundle = await esbuild.build({
  entryPoints: [`${root}test/e2e/csp/probe.ts`],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  write: false,
  logLevel: 'error',
});
const script = bundle.outputFiles[0].text;
const nonce = randomBytes(16).toString('base64');
const csp = `default-src 'none'; img-src 'self' data:; font-src 'self'; style-src 'self' 'nonce-${nonce}'; script-src 'nonce-${nonce}'`;
const server = createServer((req, res) => {
  if (req.url === '/probe.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(script);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(
    `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="${csp}"></head>` +
      `<body><script type="module" nonce="${nonce}" src="/probe.js"></script></body></html>`,
  );
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const expected = {
  'lit static styles (adoptedStyleSheets)': true,
  'cssom() directive': true,
  'element.style assignment (CSSOM)': true,
  'setAttribute("style")': false,
  'lit styleMap (first render writes a style attribute)': false,
  'innerHTML with a style attribute': false,
  '<style> element without the nonce': false,
  'echarts heatmap, confined tooltip with a DOM formatter, tooltip shown': true,
  'echarts unconfined item tooltip (its arrow is a div with a style attribute)': false,
};
let failures = 0;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.probeResults !== undefined, undefined, { timeout: 30_000 });
  const results = await page.evaluate(() => window.probeResults);
  console.log(`Chromium ${browser.version()}, CSP: ${csp.replace(nonce, '…')}`);
  for (const r of results) {
    // Allowed means applied with no violation; refused means not applied and reported.
    const allowed = r.applied && r.violations.length === 0;
    const refused = !r.applied && r.violations.length > 0;
    const ok = expected[r.name] ? allowed : refused;
    if (!ok) failures++;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${expected[r.name] ? 'allowed' : 'refused'}: ${r.name} (applied ${r.applied}, violations ${r.violations.length}${r.violations.length ? `: ${r.violations[0]}` : ''})`,
    );
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`${Object.keys(expected).length - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
