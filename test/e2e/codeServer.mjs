// Drives a real VS Code (code-server on 127.0.0.1 + Debian Chromium through playwright-core).
//   node test/e2e/codeServer.mjs tests    run the integration suite inside the real extension host
//   node test/e2e/codeServer.mjs palette  install the .vsix, run a command from the command palette, screenshot
//   node test/e2e/codeServer.mjs serve    install the .vsix and keep code-server running on the sample workspace
//   node test/e2e/codeServer.mjs check    as serve, then check the URL serves the workbench with RankLens active, exit
//   node test/e2e/codeServer.mjs untrusted  Restricted Mode: a workspace's ranklens.model.path is not used
//   node test/e2e/codeServer.mjs activation  a folder without MS MARCO files: RankLens activates only when opened
// Env: CODE_SERVER, NODE24_BIN (from scripts/setup-code-server.sh), VSIX, WORKSPACE, SCREENSHOT_DIR, PORT,
// COLOR_THEME.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, cpSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

const mode = process.argv[2] ?? 'tests';
const root = resolve(new URL('../..', import.meta.url).pathname);
const { CODE_SERVER, NODE24_BIN } = process.env;
if (!CODE_SERVER || !NODE24_BIN) {
  console.error('CODE_SERVER and NODE24_BIN must be set (run scripts/setup-code-server.sh)');
  process.exit(2);
}
const screenshotDir = resolve(process.env.SCREENSHOT_DIR ?? join(root, 'test-results'));
const env = {
  ...process.env,
  PATH: `${NODE24_BIN}:${process.env.PATH}`,
  // The extension host inherits it: the suite waits for its screenshots there.
  RANKLENS_SCREENSHOT_DIR: screenshotDir,
};
mkdirSync(screenshotDir, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'ranklens-e2e-'));
const userData = join(scratch, 'user');
const extensionsDir = join(scratch, 'extensions');
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(extensionsDir, { recursive: true });
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'workbench.tips.enabled': false,
    'window.commandCenter': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    // COLOR_THEME="Default Dark Modern" (for example) to check the webviews in another theme.
    ...(process.env.COLOR_THEME ? { 'workbench.colorTheme': process.env.COLOR_THEME } : {}),
  }),
);
const workspace = resolve(process.env.WORKSPACE ?? defaultWorkspace());
const serverArgs = [
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
  '--user-data-dir',
  userData,
  '--extensions-dir',
  extensionsDir,
];
const started = Date.now();
const log = (...args) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);

function defaultWorkspace() {
  // A copy, so nothing a test or a user does in the browser touches the repository's sample files.
  const ws = join(scratch, 'workspace');
  const sample = join(root, 'sample-workspace');
  if (existsSync(sample)) cpSync(sample, ws, { recursive: true });
  else mkdirSync(ws, { recursive: true });
  return ws;
}

function freePort() {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

function timeout(ms, what) {
  return new Promise((_, fail) =>
    setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref(),
  );
}

async function startServer(extraArgs, { args = serverArgs, folder = workspace } = {}) {
  const port = Number(process.env.PORT ?? (await freePort()));
  const server = spawn(CODE_SERVER, [...args, ...extraArgs, '--bind-addr', `127.0.0.1:${port}`, folder], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  await Promise.race([
    new Promise((done) => {
      const poll = setInterval(() => {
        if (/HTTP server listening/.test(output)) {
          clearInterval(poll);
          done();
        }
      }, 100);
    }),
    timeout(90_000, 'code-server start'),
  ]);
  return { server, port, output: () => output };
}

async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => {
    if (!/queryGalleryExtensions|marketplace|gallery/i.test(String(e.stack ?? e)))
      log('[pageerror]', String(e.stack ?? e).slice(0, 1200));
  });
  return { browser, page };
}

function installVsix() {
  const vsix = resolve(process.env.VSIX ?? join(root, 'ranklens.vsix'));
  if (!existsSync(vsix)) throw new Error(`${vsix} not found: run npm run package first`);
  log(
    execFileSync(CODE_SERVER, [...serverArgs, '--install-extension', vsix, '--force'], {
      env,
      encoding: 'utf8',
    }).trim(),
  );
}

async function runCommandFromPalette(page, title) {
  const input = '.quick-input-widget input';
  const row = `.quick-input-list .monaco-list-row.focused:has-text(${JSON.stringify(title.replace(/^[^:]*: /, ''))})`;
  // The palette lists the commands known when it opens: on a loaded machine the extension's may not be
  // registered yet, and Enter then ran whatever matched best (seen: "Developer: Open Log..."). So the focused
  // row must be the command itself, else the palette is closed and opened again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await page.waitForSelector(input, { state: 'visible', timeout: 15_000 });
    await page.fill(input, `>${title}`); // fill, not type: keystrokes typed while the palette opened were lost
    try {
      await page.waitForSelector(row, { timeout: 10_000 });
      break;
    } catch (error) {
      if (attempt === 6) throw error;
      log(`"${title}" is not in the palette yet; opening it again`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(2000);
    }
  }
  await page.keyboard.press('Enter');
}

/** Score Pair as a user would: the first query, then its first passage, from the quick picks. */
async function scoreFirstPairFromPalette(page) {
  await runCommandFromPalette(page, 'RankLens: Score Query/Passage Pair');
  for (const step of ['query', 'passage']) {
    await page.waitForSelector(`.quick-input-widget input[placeholder="Pick a ${step}"]`, {
      timeout: 30_000,
    });
    await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
  }
  await page.waitForSelector('text=/ scores -?\\d/', { timeout: 90_000 });
  log('notification: the pair was scored');
}

/** Waits until some open webview (Score Pair also opens the inspector, so there can be several) shows `selector`. */
async function waitInAnyWebview(page, selector, ms) {
  await webviewFrame(page, selector, ms);
}

/** The inner frame of the webview whose document has `selector` (playwright's CSS reaches into open shadow roots). */
async function webviewFrame(page, selector, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const count = await page.locator('iframe.webview').count();
    for (let i = 0; i < count; i++) {
      const frame = page.frameLocator(`iframe.webview >> nth=${i}`).frameLocator('iframe');
      if (
        (await frame
          .locator(selector)
          .count()
          .catch(() => 0)) > 0
      )
        return frame;
    }
    if (Date.now() > until) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(500);
  }
}

/** The focused element inside a webview document (through shadow roots) and how its focus is drawn. */
function focusedElement() {
  // Runs in the webview (playwright evaluate): the browser's globals.
  const { document, getComputedStyle } = globalThis;
  let element = document.activeElement;
  while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    className: typeof element.className === 'string' ? element.className : '',
    text: (element.textContent ?? '').trim().slice(0, 40),
    outlineStyle: style.outlineStyle,
    outlineWidth: style.outlineWidth,
    outlineColor: style.outlineColor,
    focusBorder: getComputedStyle(document.documentElement).getPropertyValue('--vscode-focusBorder').trim(),
  };
}

/**
 * Keyboard only, in a webview the test has focused (through VS Code): Tab (or Shift+Tab, `back`) until the
 * element `tabTo` has focus, then press `keys` one by one. Answers how many Tabs it took and the focused
 * element (with its outline) before the keys.
 */
async function pressKeys(page, { webview, tabTo, back = false, keys = [], maxTabs = 80, treeRows }) {
  if (treeRows) return selectTreeRows(page, treeRows);
  const frame = await webviewFrame(page, webview ?? tabTo, 20_000);
  let tabs = 0;
  if (tabTo) {
    const target = frame.locator(tabTo).first();
    while (!(await target.evaluate((el) => el.matches(':focus, :focus-within')))) {
      if (tabs >= maxTabs) {
        const at = await frame.locator('body').evaluate(focusedElement);
        throw new Error(`${tabTo} not focused after ${tabs} Tab presses (focus on ${JSON.stringify(at)})`);
      }
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      tabs++;
    }
  }
  const focus = await frame.locator('body').evaluate(focusedElement);
  for (const key of keys) {
    await page.keyboard.press(key);
    await page.waitForTimeout(60);
  }
  return { tabs, focus };
}

/**
 * Selects a row of the focused side-bar tree with the keyboard: Home, then ↓ to each row of the path in turn
 * (by its text; the list scrolls along), → to expand the collapsed ones on the way, Enter on the last.
 */
async function selectTreeRows(page, rows) {
  const focused = page.locator('.part.sidebar .monaco-list-row.focused');
  // The test focused the tree through VS Code; wait until the keyboard is really there.
  await page.waitForFunction(
    () => globalThis.document.activeElement?.closest('.part.sidebar .monaco-list') != null,
    undefined,
    { timeout: 10_000 },
  );
  await page.keyboard.press('Home');
  for (const [i, text] of rows.entries()) {
    for (
      let steps = 0;
      !((await focused.textContent({ timeout: 5000 }).catch(() => '')) ?? '').includes(text);
      steps++
    ) {
      if (steps === 400) {
        await page.screenshot({ path: join(screenshotDir, 'tree-rows-failure.png') }).catch(() => undefined);
        throw new Error(`no tree row shows "${text}" (after ${rows.slice(0, i).join(' > ') || 'the top'})`);
      }
      const inTree = await page.evaluate(
        () => globalThis.document.activeElement?.closest('.part.sidebar .monaco-list') != null,
      );
      if (!inTree) throw new Error(`the keyboard focus left the tree while looking for "${text}"`);
      await page.keyboard.press('ArrowDown');
    }
    if (i === rows.length - 1) await page.keyboard.press('Enter');
    else if ((await focused.getAttribute('aria-expanded')) === 'false') {
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(400);
    }
  }
  return { tabs: 0, focus: null };
}

/** Drags the sash between the side bar and the editor so the side bar is `width` pixels wide. */
async function resizeSidebar(page, width) {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar || Math.abs(sidebar.width - width) < 4) return;
  const edge = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(edge, y);
  await page.mouse.down();
  await page.mouse.move(edge + (width - sidebar.width) / 2, y, { steps: 4 });
  await page.mouse.move(sidebar.x + width, y, { steps: 4 });
  await page.mouse.up();
  await page.waitForTimeout(400);
}

async function tests() {
  const { server, port, output } = await startServer(['--vscode-option', 'enable-smoke-test-driver']);
  const { browser, page } = await launchBrowser();
  let code = 1;
  try {
    const finished = new Promise((done) => page.exposeFunction('codeAutomationExit', (c) => done(c)));
    const noise = /\[AgentHost\]|\[ChatModelSelection\]|signed-in session/;
    await page.exposeFunction('codeAutomationLog', async (_type, args) => {
      // The suite asks for screenshots by logging a line (test/integration/screenshots.ts); the marker file
      // tells it the PNG is complete.
      const shot =
        args.length === 1
          ? /^RANKLENS_SCREENSHOT ([\w.-]+)(?: sidebar=(\d+))?(?: clip=(editor|sidebar))?$/.exec(
              String(args[0]),
            )
          : null;
      // Keyboard input into a webview (test/integration/keyboard.ts); the answer goes into <name>.keys.json.
      const keys = args.length === 1 ? /^RANKLENS_KEYS ([\w.-]+) (\{.*\})$/.exec(String(args[0])) : null;
      if (keys) {
        const answer = await pressKeys(page, JSON.parse(keys[2])).catch((e) => ({ error: e.message }));
        // Written aside and renamed: the suite polls for the file and reads it the moment it exists, so it must
        // never see it half-written.
        const answerFile = join(screenshotDir, `${keys[1]}.keys.json`);
        writeFileSync(`${answerFile}.partial`, JSON.stringify(answer));
        renameSync(`${answerFile}.partial`, answerFile);
        return;
      }
      if (shot) {
        if (shot[2])
          await resizeSidebar(page, Number(shot[2])).catch((e) => log('sidebar resize', e.message));
        // clip=editor|sidebar: only that part of the workbench (the README's pictures of one surface).
        const clip = shot[3] ? await page.locator(`.part.${shot[3]}`).boundingBox() : undefined;
        await page
          .screenshot({ path: join(screenshotDir, `${shot[1]}.png`), ...(clip ? { clip } : {}) })
          .catch((e) => log('screenshot', e.message));
        writeFileSync(join(screenshotDir, `${shot[1]}.done`), '');
        return;
      }
      if (!args.some((a) => noise.test(String(a)))) console.log('  [ext-host]', ...args);
    });
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(root)],
      ['extensionTestsPath', remote(join(root, 'out', 'test', 'integration', 'suite.js'))],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(
      `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`,
    );
    code = await Promise.race([
      finished,
      timeout(Number(process.env.TEST_TIMEOUT_MS ?? 600_000), 'extension tests'),
    ]);
    await page.screenshot({ path: join(screenshotDir, 'integration-final.png') }).catch(() => undefined);
    log('extension tests exited with', code);
  } catch (error) {
    console.error('e2e error:', error.message);
    await page.screenshot({ path: join(screenshotDir, 'integration-failure.png') }).catch(() => undefined);
    console.error(output().slice(-4000));
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  return code === 0 ? 0 : 1;
}

async function palette() {
  installVsix();
  const { server, port, output } = await startServer([]);
  const { browser, page } = await launchBrowser();
  let ok = false;
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench .statusbar', { timeout: 90_000 });
    log('workbench loaded');
    await page.waitForTimeout(3000);
    await runCommandFromPalette(page, 'RankLens: Open Sample Dataset');
    await page.waitForSelector('text=/dataset opened/', { timeout: 60_000 });
    log('notification: dataset opened');
    await page.waitForSelector('.monaco-list-row:has-text("Queries (")', { timeout: 30_000 });
    log('Dataset view shows the queries');
    // The sample's queries are grouped by split (named after their queries files); open the held-out one.
    await page.waitForSelector('.monaco-list-row:has-text("DL19 (43)")', { timeout: 30_000 });
    await page.click('.monaco-list-row:has-text("dev600-heldout (200)")');
    await page.waitForTimeout(1000);
    log('Dataset view groups the queries by split');
    await page.screenshot({ path: join(screenshotDir, 'palette-open-sample.png') });
    // Score a pair as a user would: pick the first query, then its first passage, from the quick picks.
    await runCommandFromPalette(page, 'RankLens: Score Query/Passage Pair');
    for (const step of ['query', 'passage']) {
      await page.waitForSelector(`.quick-input-widget input[placeholder="Pick a ${step}"]`, {
        timeout: 30_000,
      });
      await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 30_000 });
      if (step === 'query') {
        await page.waitForSelector('.quick-input-list .monaco-list-row:has-text("dev600-heldout ·")', {
          timeout: 10_000,
        });
        log('the query picker labels the split');
        await page.screenshot({ path: join(screenshotDir, 'palette-pick-query.png') });
      }
      await page.waitForTimeout(300);
      await page.keyboard.press('Enter');
    }
    await page.waitForSelector('text=/ scores -?\\d/', { timeout: 90_000 });
    log('notification: the pair was scored');
    await page.waitForSelector('.statusbar-item:has-text("ranklens-minilm-l6")', { timeout: 10_000 });
    log('status bar shows the model');
    await page.screenshot({ path: join(screenshotDir, 'palette-score-pair.png') });
    // Score Pair also opened the inspector; let it finish (score, rank, IG) as a user would see it before the
    // next command, so no panel is still rendering while the quick picks below are open.
    await waitInAnyWebview(page, 'text=/computed in/', 90_000);
    log('the inspector shows the pair with its attributions');
    // Evaluate the held-out BM25 run: the panel names the split of every query.
    await runCommandFromPalette(page, 'RankLens: Evaluate Run File');
    for (const role of ['run', 'qrels']) {
      await page.waitForSelector(`.quick-input-widget input[placeholder="Pick the ${role} file"]`, {
        timeout: 30_000,
      });
      await page.keyboard.type('dev600-heldout');
      // Enter only once the list shows the file the text picks (an empty or unfiltered list would pick
      // nothing, or another file).
      await page.waitForSelector('.quick-input-list .monaco-list-row:has-text("dev600-heldout")', {
        timeout: 30_000,
      });
      await page.waitForTimeout(300);
      await page.keyboard.press('Enter');
    }
    await waitInAnyWebview(page, 'text=/Queries by split: dev600-heldout: 200/', 60_000);
    log('the evaluation panel names the split');
    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(screenshotDir, 'palette-evaluate-heldout.png') });
    ok = true;
  } catch (error) {
    console.error('e2e error:', error.message);
    await page.screenshot({ path: join(screenshotDir, 'palette-failure.png') }).catch(() => undefined);
    console.error(output().slice(-4000));
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  return ok ? 0 : 1;
}

async function serve() {
  installVsix();
  const { server, port } = await startServer([]);
  log(
    `RankLens is installed in code-server. Open http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
  );
  log('Then run "RankLens: Open Sample Dataset" from the command palette (F1). Ctrl+C stops the server.');
  await new Promise((done) => server.on('exit', done));
  return 0;
}

/** `npm start -- --check`: what a user would see at the printed URL, checked in Chromium; then stop. */
async function check() {
  installVsix();
  const { server, port, output } = await startServer([]);
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  log(`code-server is listening: ${url}`);
  const { browser, page } = await launchBrowser();
  let ok = false;
  try {
    const response = await globalThis.fetch(url);
    const html = await response.text();
    if (response.status !== 200 || !html.includes('id="vscode-workbench-web-configuration"'))
      throw new Error(`${url} answered HTTP ${response.status} without the VS Code workbench page`);
    log('the URL serves the workbench page');
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench .statusbar', { timeout: 90_000 });
    log('workbench loaded in Chromium');
    // Opening RankLens's activity-bar container activates the extension (onView:ranklens.dataset); its status-bar
    // item exists only once activate() has run.
    await page.click('.activitybar [aria-label^="RankLens"]', { timeout: 30_000 });
    await page.waitForSelector('.statusbar-item:has-text("RankLens")', { timeout: 60_000 });
    log('RankLens is active (its status-bar item is shown)');
    await runCommandFromPalette(page, 'RankLens: Open Sample Dataset');
    await page.waitForSelector('.monaco-list-row:has-text("Queries (")', { timeout: 60_000 });
    log('RankLens: Open Sample Dataset filled the Dataset view');
    await page.screenshot({ path: join(screenshotDir, 'start-check.png') });
    ok = true;
  } catch (error) {
    console.error('npm start check failed:', error.message);
    await page.screenshot({ path: join(screenshotDir, 'start-check-failure.png') }).catch(() => undefined);
    console.error(output().slice(-4000));
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  console.log(
    ok
      ? `npm start check passed: ${url} served VS Code with RankLens active (stopped again)`
      : `npm start check FAILED for ${url}`,
  );
  return ok ? 0 : 1;
}

/**
 * Workspace trust, as a user meets it: a fresh profile with trust on, a workspace whose .vscode/settings.json
 * points ranklens.model.path at a folder that is not a checkpoint, opened with "No, I don't trust the authors".
 * RankLens must run in Restricted Mode (limited support) and score with the bundled model, not the workspace's.
 */
async function untrusted() {
  installVsix();
  const trustUserData = join(scratch, 'user-trust');
  mkdirSync(join(trustUserData, 'User'), { recursive: true });
  writeFileSync(
    join(trustUserData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'always',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
    }),
  );
  const folder = join(scratch, 'untrusted-workspace');
  cpSync(join(root, 'sample-workspace'), folder, { recursive: true });
  const decoy = join(scratch, 'workspace-chosen-model');
  mkdirSync(decoy, { recursive: true });
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'ranklens.model.path': decoy }));
  const args = serverArgs
    .filter((a) => a !== '--disable-workspace-trust')
    .map((a) => (a === userData ? trustUserData : a));
  const { server, port, output } = await startServer([], { args, folder });
  const { browser, page } = await launchBrowser();
  let ok = false;
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench .statusbar', { timeout: 90_000 });
    await page.getByRole('button', { name: /^No, I don.t trust the authors/ }).click({ timeout: 60_000 });
    await page.waitForSelector('.statusbar-item:has-text("Restricted Mode")', { timeout: 30_000 });
    log('the workspace is open in Restricted Mode');
    await page.waitForSelector('.statusbar-item:has-text("RankLens")', { timeout: 60_000 });
    log('RankLens is active in Restricted Mode');
    await runCommandFromPalette(page, 'RankLens: Open Sample Dataset');
    await page.waitForSelector('.monaco-list-row:has-text("Queries (")', { timeout: 60_000 });
    await scoreFirstPairFromPalette(page);
    // Had the workspace's setting been used, loading would have failed and the status bar would say "no model".
    await page.waitForSelector('.statusbar-item:has-text("ranklens-minilm-l6")', { timeout: 10_000 });
    log("the bundled model scored the pair; the workspace's ranklens.model.path was not used");
    await page.screenshot({ path: join(screenshotDir, 'untrusted-workspace.png') });
    ok = true;
  } catch (error) {
    console.error('e2e error:', error.message);
    await page.screenshot({ path: join(screenshotDir, 'untrusted-failure.png') }).catch(() => undefined);
    console.error(output().slice(-4000));
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  return ok ? 0 : 1;
}

/**
 * Activation on RankLens's own events: in a folder without MS MARCO files the extension stays inactive (no
 * status-bar item) after start-up, and activates when the user opens its activity-bar container.
 */
async function activation() {
  installVsix();
  const folder = join(scratch, 'unrelated-workspace');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'notes.md'), '# Not a dataset\n');
  const { server, port, output } = await startServer([], { folder });
  const { browser, page } = await launchBrowser();
  let ok = false;
  try {
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench .statusbar', { timeout: 90_000 });
    // With onStartupFinished RankLens showed its status-bar item 5-12 s after this point on the loaded machine.
    await page.waitForTimeout(20_000);
    if (await page.$('.statusbar-item:has-text("RankLens")'))
      throw new Error('RankLens activated at start-up in a folder without MS MARCO files');
    log('20 s after start-up RankLens is not active');
    await page.click('.activitybar [aria-label^="RankLens"]', { timeout: 30_000 });
    await page.waitForSelector('.statusbar-item:has-text("RankLens")', { timeout: 60_000 });
    log('opening the RankLens container activated it');
    ok = true;
  } catch (error) {
    console.error('e2e error:', error.message);
    await page.screenshot({ path: join(screenshotDir, 'activation-failure.png') }).catch(() => undefined);
    console.error(output().slice(-4000));
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  return ok ? 0 : 1;
}

const modes = { tests, palette, serve, check, untrusted, activation };
if (!modes[mode]) {
  console.error(`unknown mode ${mode}; use tests, palette, serve, check, untrusted or activation`);
  process.exit(2);
}
/**
 * The automated modes leave nothing behind: their profiles, extensions and workspace copy (~300 MB) live in
 * `scratch`, which this script made. serve keeps it: its workspace copy holds whatever the user did in it; so
 * does RANKLENS_KEEP_TEST_TMP, as the test runners' folder does, for debugging.
 */
function finish(code) {
  if (mode === 'serve' || process.env.RANKLENS_KEEP_TEST_TMP)
    log(`the session's profile and workspace copy stay in ${scratch}`);
  else {
    try {
      rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      console.error(`could not remove ${scratch}: ${error.message}`);
    }
  }
  process.exit(code);
}
modes[mode]().then(finish, (error) => {
  console.error(error);
  finish(1);
});
