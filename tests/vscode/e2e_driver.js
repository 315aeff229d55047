// Drives code-server (VS Code in the browser) in headless Chromium, as a person would: opens
// build.lua, reads the Problems panel, asks for completion and a hover, applies a quick fix,
// opens Show DAG from its code lens and clicks a node... then, with the LuaLS stand-in
// installed, looks at the workspace settings and a script with a syntax error. Mode
// `untrusted`: in a folder not trusted, sees that nothing is evaluated, then trusts it.
// Prints one JSON line of what it saw (test_vscode_e2e.py asserts on it) and saves screenshots
// into OUT_DIR.
// Usage: node e2e_driver.js <workbench url> <out dir> [trusted|untrusted]
//        (NODE_PATH must find playwright-core)
'use strict';
const { chromium } = require('playwright-core');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const [url, outDir, mode = 'trusted'] = process.argv.slice(2);
const workspace = new URL(url).searchParams.get('folder');
const seen = { steps: [] };
const t0 = Date.now();

function step(name) {
  seen.steps.push({ name, ms: Date.now() - t0 });
  console.error(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}`);
}

function helpers(page) {
  const h = {};
  h.shot = (name) => page.screenshot({ path: path.join(outDir, `${name}.png`) });
  h.statusItem = (text) => page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  h.palette = async (command) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${command}`);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: command }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  };
  h.goTo = async (lineColumn) => {
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`:${lineColumn}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
  };
  h.cursor = async () => {
    const text = await page.locator('[id="status.editor.selection"]').innerText({ timeout: 10_000 });
    const m = /Ln (\d+), Col (\d+)/.exec(text);
    return m ? { line: Number(m[1]), column: Number(m[2]) } : { text };
  };
  h.editor = page.locator('.editor-instance .monaco-editor').first();
  /** Opens a file through Quick Open: the row whose name is exactly `name`, showing `text`. */
  h.openFile = async (name, text) => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
    await page.keyboard.type(name);
    const exact = new RegExp(`^${name.replace(/\./g, '\\.')}$`);
    const row = page.locator('.quick-input-widget .monaco-list-row').filter({
      has: page.locator('.label-name', { hasText: exact }),
    });
    await row.first().waitFor({ timeout: 30_000 });
    await row.first().click();
    await h.editor.locator('.view-lines', { hasText: text }).waitFor({ timeout: 30_000 });
  };
  /** The Problems panel, shown (the status bar's problem counts toggle it). */
  h.showProblems = async () => {
    if (!(await page.locator('.markers-panel').isVisible())) {
      await page.locator('[id="status.problems"]').click();
    }
    await page.locator('.markers-panel').waitFor({ timeout: 10_000 });
  };
  h.problemRows = () => page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  /** The notifications on screen about Lua or luakit. */
  h.luaToasts = async () =>
    (await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).filter((t) => /lua/i.test(t));
  return h;
}

async function main(page) {
  const { shot, statusItem, palette, goTo, cursor, editor, openFile, showProblems, problemRows, luaToasts } = helpers(page);

  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90_000 });
  step('workbench');

  // Open build.lua through Quick Open.
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
  await openFile('build.lua', 'bk.export');
  step('editor open');

  // The server evaluated it: the status bar item says so, with the error.
  await statusItem('luakit').waitFor({ timeout: 60_000 });
  await statusItem('1 error').waitFor({ timeout: 60_000 });
  seen.status = await statusItem('luakit').innerText();
  step('status bar');

  // LuaLS (the stand-in with its id is installed): the workspace settings gain our stubs and
  // checkThirdParty false, written by the extension at start-up, and nothing asks anything.
  seen.luaLs = { settings: await workspaceSettings((s) => 'Lua.workspace.library' in s && 'Lua.workspace.checkThirdParty' in s) };
  seen.luaLs.toasts = await luaToasts();
  step('LuaLS settings');

  // The Problems panel, opened from the status bar's problem counts.
  await page.locator('[id="status.problems"]').click();
  const problemRow = page.locator('.markers-panel .monaco-list-row', { hasText: 'make_parentz' }).first();
  await problemRow.waitFor({ timeout: 30_000 });
  seen.problems = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  seen.problem = await problemRow.innerText();
  await shot('1-diagnostic');
  step('problems');

  // Completion after `bk.` on a new last line, then the line is taken away again.
  await editor.click({ position: { x: 300, y: 10 } });
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('bk.');
  const suggest = page.locator('.suggest-widget.visible .monaco-list-row');
  try {
    await suggest.first().waitFor({ timeout: 15_000 });
  } catch {
    await page.keyboard.press('Control+Space'); // typed too early for the trigger: ask again
    await suggest.first().waitFor({ timeout: 15_000 });
  }
  await page.waitForTimeout(500);
  seen.completion = await page.locator('.suggest-widget.visible .monaco-list-row .label-name').allInnerTexts();
  await shot('2-completion');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  step('completion');

  // Hover on `local_` (line 4), through the keyboard: Ctrl+K Ctrl+I.
  await goTo('4:18');
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover-content', { hasText: 'local_' }).first();
  await hover.waitFor({ timeout: 20_000 });
  seen.hover = await hover.innerText();
  await shot('3-hover');
  await page.keyboard.press('Escape');
  step('hover');

  // Quick fix on line 8; then the script is valid, and the status bar shows its ops.
  await goTo('8:20');
  await page.keyboard.press('Control+.');
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: "Change 'make_parentz' to 'make_parents'" }).first();
  await fix.waitFor({ timeout: 20_000 });
  await fix.click();
  await statusItem('ops').waitFor({ timeout: 60_000 });
  seen.statusFixed = await statusItem('luakit').innerText();
  step('quick fix');

  // Show DAG, from the code lens above bk.export.
  const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Show DAG' }).first();
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();
  let frame;
  const deadline = Date.now() + 60_000;
  while (!frame && Date.now() < deadline) {
    for (const f of page.frames()) {
      if ((await f.locator('#graph svg g.node').count().catch(() => 0)) > 0) {
        frame = f;
      }
    }
    if (!frame) {
      await page.waitForTimeout(500);
    }
  }
  if (!frame) {
    throw new Error('the DAG webview did not render any node within 60 s');
  }
  const nodes = frame.locator('#graph svg g.node');
  seen.dagNodes = await nodes.evaluateAll((gs) => gs.map((g) => ({ digest: g.dataset.digest, text: g.textContent })));
  await shot('4-dag');
  step('dag');

  // The view fits the panel (half the window, beside the editor): every node inside it, text
  // readable; then zoom and pan by buttons, keys and the wheel, and fit again.
  seen.dagFit = await dagState(frame);
  await frame.locator('#zoom-in').click();
  seen.dagZoomIn = await dagState(frame);
  await frame.locator('#zoom-out').click();
  await frame.locator('#zoom-out').click();
  seen.dagZoomOut = await dagState(frame);
  await frame.locator('#viewport').focus();
  await page.keyboard.press('0');
  seen.dagKeyFit = await dagState(frame);
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  seen.dagKeyPlus = await dagState(frame);
  await page.keyboard.press('ArrowDown');
  seen.dagArrow = await dagState(frame);
  await page.keyboard.press('-');
  seen.dagKeyMinus = await dagState(frame);
  const box = await frame.locator('#viewport').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await page.waitForTimeout(300);
  seen.dagWheel = await dagState(frame);
  await frame.locator('#fit').click();
  seen.dagRefit = await dagState(frame);
  await shot('4-dag-fit');
  step('dag zoom and pan');

  // The theme changes: the view's colours follow the editor's.
  seen.dagFirst = await dagColours(frame);
  // As a person picking another theme for this folder would (in its settings).
  await editSettings({ 'workbench.colorTheme': 'Dark Modern' });
  await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'), null, { timeout: 15_000 });
  await page.waitForTimeout(1000);
  seen.dagOther = await dagColours(frame);
  await shot('4-dag-dark');
  await editSettings({ 'workbench.colorTheme': 'Light 2026' });
  await page.waitForFunction(() => !document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'), null, { timeout: 15_000 });
  await page.waitForTimeout(500);
  step('dag follows the theme');

  // Click the node of line 7 (the mkfile): the cursor goes to that line, and the node is
  // highlighted as the one under the cursor.
  const node = frame.locator('#graph svg g.node', { hasText: 'build.lua:7' }).first();
  await node.click();
  let position = {};
  for (let i = 0; i < 40 && position.line !== 7; i++) {
    await page.waitForTimeout(250);
    position = await cursor();
  }
  seen.cursorAfterClick = position;
  await frame.locator('#graph svg g.node.current', { hasText: 'build.lua:7' }).waitFor({ timeout: 10_000 });
  seen.highlighted = await frame.locator('#graph svg g.node.current').evaluateAll((gs) => gs.map((g) => g.textContent));
  await shot('5-dag-click');
  step('dag click');

  // An edit redraws the graph: mkdir("/app") becomes mkdir("/app2") on line 5.
  await page.waitForTimeout(500); // the editor has the focus after a click on a node: type there
  await goTo('5:38');
  await page.keyboard.type('2');
  await frame.locator('#graph svg g.node', { hasText: 'mkdir /app2' }).waitFor({ timeout: 30_000 });
  seen.dagAfterEdit = await frame.locator('#graph svg g.node').evaluateAll((gs) => gs.map((g) => g.textContent));
  step('dag follows an edit');

  // Validate from the palette: a notification says the script is valid.
  await editor.click({ position: { x: 300, y: 10 } });
  await palette('luakit: Validate');
  const toast = page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'is valid' }).first();
  await toast.waitFor({ timeout: 30_000 });
  seen.validate = await toast.innerText();
  step('validate');

  // Emit LLB, both ways: saved next to the script (the save dialog proposes build.llb), and as
  // a JSON view in a new editor.
  const pick = async (label) => {
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
  };
  await palette('luakit: Emit LLB');
  await pick('Save Definition to file');
  const dialog = page.locator('.quick-input-widget input');
  await page.waitForFunction(() => /build\.llb$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, { timeout: 15_000 });
  seen.saveAs = await dialog.inputValue();
  await page.keyboard.press('Enter');
  const wrote = page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'wrote' }).first();
  await wrote.waitFor({ timeout: 30_000 });
  seen.emitted = await wrote.innerText();
  await palette('luakit: Emit LLB');
  await pick('Open JSON view');
  const json = page.locator('.editor-instance .monaco-editor .view-lines', { hasText: '"digest"' }).first();
  await json.waitFor({ timeout: 30_000 });
  seen.jsonView = await json.innerText();
  seen.jsonTabs = await tabTexts(page);
  await shot('7-json-view');
  step('emit llb');

  // The JSON view follows an edit of the script (in place, the same tab), and closes without
  // asking to be saved.
  await editor.click({ position: { x: 300, y: 10 } }); // build.lua, in the first editor group
  await goTo('5:39');
  await page.keyboard.type('3');
  await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'mkdir /app23' }).first().waitFor({ timeout: 30_000 });
  seen.jsonTabsAfterEdit = await tabTexts(page);
  await page.locator('.tabs-container .tab', { hasText: 'build.lua.json' }).first().click();
  await page.keyboard.press('Control+W');
  await page.waitForTimeout(1000);
  seen.jsonCloseDialog = await page.locator('.monaco-dialog-box').count();
  seen.tabsAfterClose = await tabTexts(page);
  step('json view refreshes in place and closes quietly');

  // The server crashes (killed): the extension restarts it, and build.lua is evaluated again.
  await editor.click({ position: { x: 300, y: 10 } }); // build.lua, in the first editor group
  await statusItem('ops').waitFor({ timeout: 30_000 });
  const before = serverPids();
  if (before.length !== 1) {
    throw new Error(`expected one luakit-ls in code-server's process group, found ${JSON.stringify(before)}`);
  }
  process.kill(before[0], 'SIGKILL');
  await statusItem('restarting').waitFor({ timeout: 20_000 });
  await statusItem('ops').waitFor({ timeout: 60_000 });
  seen.restart = { before, after: serverPids(), status: await statusItem('luakit').innerText() };
  step('restart after crash');

  // Restart Server: the op hints and the lenses come back without an edit.
  await page.waitForFunction(() => /\u00b7/.test(document.querySelector('.editor-instance .monaco-editor .view-lines')?.textContent ?? ''), null, { timeout: 30_000 });
  seen.hintsBefore = await hintLines(editor);
  const beforeRestart = serverPids();
  await palette('luakit: Restart Server');
  const until = Date.now() + 30_000;
  while (Date.now() < until && (serverPids().length !== 1 || serverPids()[0] === beforeRestart[0])) {
    await page.waitForTimeout(200);
  }
  seen.restartServer = { before: beforeRestart, after: serverPids() };
  // The new server evaluated build.lua (the status bar item is back); then, without an edit,
  // its hints and lenses must come back.
  await statusItem('ops').waitFor({ timeout: 30_000 });
  const hintsDeadline = Date.now() + 20_000;
  let hints = [];
  let lenses = [];
  while (Date.now() < hintsDeadline && (hints.length < seen.hintsBefore.length || lenses.length === 0)) {
    await page.waitForTimeout(250);
    hints = await hintLines(editor);
    lenses = await page.locator('.contentWidgets .codelens-decoration a').allInnerTexts();
  }
  seen.hintsAfterRestart = hints;
  seen.lensesAfterRestart = lenses;
  await shot('8-after-restart');
  step('restart server: hints and lenses back');

  // A syntax error with the LuaLS stand-in installed: luakit evaluates the script (its status
  // bar item counts the error) but leaves the diagnostic to LuaLS. With the integration turned
  // off in the workspace settings, our LK001 is listed; turned on again, it goes away.
  await openFile('typo.build.lua', 'bk.export');
  await statusItem('1 error').waitFor({ timeout: 30_000 });
  seen.luaLs.typoStatus = await statusItem('luakit').innerText();
  await showProblems();
  const lk001 = page.locator('.markers-panel .monaco-list-row', { hasText: 'LK001' });
  await page.waitForTimeout(1500); // the diagnostics follow the status notification
  seen.luaLs.lk001WithLuaLs = await lk001.allInnerTexts();
  await shot('6-luals-no-duplicate');
  await editSettings({ 'luakit.luaLs.integration': false });
  await lk001.first().waitFor({ timeout: 30_000 });
  seen.luaLs.lk001WithoutIntegration = await lk001.allInnerTexts();
  await editSettings({ 'luakit.luaLs.integration': true });
  await lk001.first().waitFor({ state: 'detached', timeout: 30_000 });
  seen.luaLs.lk001Again = await lk001.allInnerTexts();
  seen.luaLs.problems = await problemRows();
  step('LuaLS: no duplicate syntax error');
  // A script that requires a module: the node of the module's step opens the module at its
  // line, and the DAG stays the script's (no switch, no "does not evaluate").
  await openFile('app.build.lua', 'require');
  await statusItem('ops').waitFor({ timeout: 30_000 });
  await palette('luakit: Show DAG');
  const moduleNode = frame.locator('#graph svg g.node', { hasText: 'lib/steps.lua:6' }).first();
  await moduleNode.waitFor({ timeout: 30_000 });
  await moduleNode.click();
  await page.locator('.tabs-container .tab.active', { hasText: 'steps.lua' }).waitFor({ timeout: 15_000 });
  let at = {};
  for (let i = 0; i < 40 && at.line !== 6; i++) {
    await page.waitForTimeout(250);
    at = await cursor();
  }
  await page.waitForTimeout(1500); // time for the view to switch, were it to
  seen.moduleClick = {
    cursor: at,
    activeTabs: await tabTexts(page, '.tab.active'),
    tabs: await tabTexts(page),
    problems: await frame.locator('#problems').innerText(),
    status: await frame.locator('#status').innerText(),
    nodes: await frame.locator('#graph svg g.node').count(),
  };
  await shot('9-module-click');
  step('module node opens the module');

  // Issue 15's module cases. An unsaved edit of the module (open beside its script) reaches the
  // script's diagnostics: a misspelled State method typed into lib/steps.lua line 6, not saved.
  const mistyped = page.locator('.markers-panel .monaco-list-row', { hasText: 'XXmkfile' });
  const breakModule = async () => {
    await editor.click({ position: { x: 300, y: 10 } }); // lib/steps.lua, in the first editor group
    await goTo('6:28'); // `mkfile` in `state:mkfile(`
    await page.keyboard.type('XX');
    await page.keyboard.press('Escape'); // the suggestions typing opens
  };
  const undoUntilClean = async () => {
    for (let i = 0; i < 3 && (await editor.locator('.view-lines').innerText()).includes('XXmkfile'); i++) {
      await page.keyboard.press('Control+Z');
      await page.waitForTimeout(300);
    }
  };
  await breakModule();
  await showProblems();
  await waitUntil(async () => (await mistyped.count()) >= 2, 30_000, 'the misspelled method in the Problems panel of both files');
  seen.moduleUnsaved = {
    problems: await problemsByFile(page),
    dirty: await tabTexts(page, '.tab.dirty'),
    onDisk: fs.readFileSync(path.join(workspace, 'lib', 'steps.lua'), 'utf8'),
  };
  await shot('10-module-unsaved');
  // Undone, still unsaved: both diagnostics go.
  await undoUntilClean();
  await mistyped.first().waitFor({ state: 'detached', timeout: 30_000 });
  seen.moduleReverted = { problems: await problemsByFile(page) };
  step('unsaved module edit: in the script, and gone when undone');

  // Broken and saved: the script shows it. Fixed and saved: the script's marker goes, and the
  // script's editor is not touched.
  // The markers are there before the save reaches the disk (the unsaved text has the mistake
  // too), so the disk is waited for first: on a loaded machine the write comes later.
  const stepsOnDisk = () => fs.readFileSync(path.join(workspace, 'lib', 'steps.lua'), 'utf8');
  await breakModule();
  await page.keyboard.press('Control+S');
  await waitUntil(async () => stepsOnDisk().includes('XXmkfile'), 30_000, 'lib/steps.lua saved with the mistake');
  await waitUntil(async () => (await mistyped.count()) >= 2, 30_000, 'the saved mistake in the Problems panel');
  seen.moduleSaved = {
    problems: await problemsByFile(page),
    onDisk: fs.readFileSync(path.join(workspace, 'lib', 'steps.lua'), 'utf8'),
  };
  await undoUntilClean();
  await page.keyboard.press('Control+S');
  await waitUntil(async () => !stepsOnDisk().includes('XXmkfile'), 30_000, 'lib/steps.lua saved fixed');
  await mistyped.first().waitFor({ state: 'detached', timeout: 30_000 });
  await page.waitForTimeout(1000); // time for a late publish, were one to bring it back
  seen.moduleFixed = {
    problems: await problemsByFile(page),
    dirty: await tabTexts(page, '.tab.dirty'),
    onDisk: fs.readFileSync(path.join(workspace, 'lib', 'steps.lua'), 'utf8'),
  };
  await shot('11-module-fixed');
  step('saved module fix clears the script');

  // A misspelled key on its own line of a multi-line run(...): the squiggle covers exactly
  // `cwdd`, and the quick fix is offered with the cursor on that line (here at its start, before
  // the key).
  await openFile('options.build.lua', 'cwdd');
  const cwdd = page.locator('.markers-panel .monaco-list-row', { hasText: "unknown option 'cwdd'" }).first();
  await cwdd.waitFor({ timeout: 30_000 });
  await page.waitForTimeout(500); // the squiggle is drawn with the marker
  seen.cwdd = { problem: await cwdd.innerText(), marks: await squiggles(editor, 'cwdd') };
  // The light bulb, with the cursor in the value (outside the key; VS Code shows no bulb on
  // leading blanks); Ctrl+. at the line's start.
  await goTo('7:12');
  const bulb = page.locator('.lightBulbWidget[class*="codicon-lightbulb"], .cgmr[class*="codicon-gutter-lightbulb"]').first(); // beside the text or in the gutter
  seen.cwdd.lightBulb = await bulb.waitFor({ timeout: 5_000 }).then(() => true, () => false);
  await shot('12-cwdd-key');
  await goTo('7:1');
  await page.keyboard.press('Control+.');
  const cwdFix = page.locator('.action-widget .monaco-list-row', { hasText: "Change 'cwdd' to 'cwd'" }).first();
  await cwdFix.waitFor({ timeout: 20_000 });
  seen.cwdd.fix = await cwdFix.innerText();
  await cwdFix.click();
  await editor.locator('.view-lines', { hasText: 'cwd = "/src"' }).waitFor({ timeout: 20_000 });
  await cwdd.waitFor({ state: 'detached', timeout: 30_000 });
  await statusItem('ops').waitFor({ timeout: 30_000 });
  seen.cwdd.after = { marks: await squiggles(editor, 'cwd'), status: await statusItem('luakit').innerText() };
  await shot('13-cwdd-fixed');
  step('cwdd: the key alone, its fix on its line');

  // Error notifications still on screen (they stay until closed), e.g. from requests that
  // VS Code sent while luakit-ls was down.
  seen.errorToasts = await page
    .locator('.notifications-toasts .notification-list-item', { has: page.locator('.codicon-error') })
    .allInnerTexts();
}

/** In a folder not trusted: no server, no diagnostics, a status bar item that says why; trusting it starts the server. */
async function untrusted(page) {
  const { statusItem, editor, showProblems, problemRows, shot } = helpers(page);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90_000 });
  step('workbench');
  // From the Explorer (Quick Open's first search is slower).
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^build\.lua$/ }).first().click({ timeout: 30_000 });
  await editor.locator('.view-lines', { hasText: 'bk.export' }).waitFor({ timeout: 30_000 });
  step('editor open');
  const item = statusItem('luakit');
  await statusItem('luakit: restricted').waitFor({ timeout: 60_000 }); // not VS Code's own "Restricted Mode"
  seen.status = await item.innerText();
  step('status bar');
  // Its tooltip says why. Other items may still be joining the status bar and move ours from
  // under the mouse: hover again until the tooltip shows.
  // (VS Code's own "Restricted Mode" item next to it has a tooltip saying "not trusted" too.)
  const tooltip = page.locator('.monaco-hover, .workbench-hover', { hasText: 'luakit-ls is not started' }).first();
  await page.waitForTimeout(500);
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(700, 300);
    await item.hover();
    try {
      await tooltip.waitFor({ timeout: 3_000 });
      seen.hoverAttempts = attempt;
      break;
    } catch (error) {
      if (attempt === 4) {
        throw error;
      }
    }
  }
  seen.tooltip = await tooltip.innerText();
  await page.mouse.move(700, 300);
  await showProblems();
  await page.waitForTimeout(1000); // time for diagnostics, were there a server to send them
  seen.problems = await problemRows();
  seen.servers = serverPids();
  await shot('untrusted');
  step('untrusted: nothing evaluated');

  // The person allows it: the status bar item opens the workspace trust editor; trust the
  // folder, and luakit-ls starts (its evaluation is the trusted test's business).
  await item.click();
  const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first();
  await trust.waitFor({ timeout: 20_000 });
  await trust.click();
  const until = Date.now() + 30_000;
  while (serverPids().length === 0 && Date.now() < until) {
    await page.waitForTimeout(200);
  }
  seen.serversAfterTrust = serverPids();
  step('trusted: luakit-ls started');
}

/** Where the DAG sits in its panel: the view's scale, the smallest text, whether each node is inside. */
// `luakit: Build` on a script whose last `run` exits 2 (the daemon is the harness's BuildKit):
// the failure arrives in the Problems panel at that `run`'s line, as LK010.
async function building(page) {
  const { shot, statusItem, palette, openFile, showProblems, problemRows } = helpers(page);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90_000 });
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
  await openFile('build.lua', 'bk.export');
  await statusItem('luakit').waitFor({ timeout: 60_000 });
  step('editor open');
  await palette('luakit: Build');
  step('build started');
  await showProblems();
  const failure = page.locator('.markers-panel .monaco-list-row', { hasText: 'LK010' }).first();
  await failure.waitFor({ timeout: 180_000 });
  seen.problems = await problemRows();
  seen.problem = await failure.innerText();
  await page.waitForTimeout(500);
  seen.toasts = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
  await shot('8-build-failure');
  step('build failure in the Problems panel');
}

async function dagState(frame) {
  await frame.page().waitForTimeout(200);
  return frame.evaluate(() => {
    const viewport = document.getElementById('viewport').getBoundingClientRect();
    const texts = [...document.querySelectorAll('#graph g.node text')];
    const nodes = [...document.querySelectorAll('#graph g.node')].map((g) => g.getBoundingClientRect());
    const inside = (r) => r.left >= viewport.left - 0.5 && r.right <= viewport.right + 0.5 && r.top >= viewport.top - 0.5 && r.bottom <= viewport.bottom + 0.5;
    const scale = Number(document.getElementById('graph').dataset.scale);
    return {
      scale,
      transform: document.getElementById('graph').style.transform,
      viewport: { width: viewport.width, height: viewport.height },
      minTextPx: Math.min(...texts.map((t) => Number(t.getAttribute('font-size')) * scale)),
      nodesInside: nodes.filter(inside).length,
      nodes: nodes.length,
    };
  });
}

/** The colours the DAG is drawn in: the page's background, a node's text, box and kind colour, an edge. */
async function dagColours(frame) {
  return frame.evaluate(() => {
    const style = (selector, property) => {
      const element = document.querySelector(selector);
      return element ? getComputedStyle(element)[property] : null;
    };
    return {
      background: style('body', 'backgroundColor'),
      editorBackground: getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim(),
      editorForeground: getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-foreground').trim(),
      text: style('#graph g.node text', 'fill'),
      box: style('#graph g.node polygon, #graph g.node path', 'fill'),
      // The kind's colour that dag.ts handed the stylesheet (Graphviz's fill for the box).
      kind: document.querySelector('#graph g.node polygon, #graph g.node path')?.style.getPropertyValue('--kind').trim() ?? null,
      edge: style('#graph g.edge path', 'stroke'),
    };
  });
}

/** Polls `ready()` every 250 ms until it holds; fails with `what` after `timeout` ms. */
async function waitUntil(ready, timeout, what) {
  const deadline = Date.now() + timeout;
  while (!(await ready())) {
    if (Date.now() > deadline) {
      throw new Error(`not seen within ${timeout / 1000} s: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The Problems panel's markers, each with the name of the file row it is listed under (the
 *  tree's level 1) and the related information rows under it (level 3). */
async function problemsByFile(page) {
  const rows = await page.locator('.markers-panel .monaco-list-row').evaluateAll((list) =>
    list.map((row) => ({
      level: row.getAttribute('aria-level'),
      name: row.querySelector('.label-name')?.textContent ?? '',
      text: row.innerText.replace(/\s+/g, ' ').trim(),
    })));
  const out = [];
  let file = '';
  for (const row of rows) {
    if (row.level === '1') {
      file = row.name;
    } else if (row.level === '2') {
      out.push({ file, text: row.text, related: [] });
    } else if (out.length > 0) {
      out[out.length - 1].related.push(row.text);
    }
  }
  return out;
}

/** Where the editor draws its error squiggles, beside the box of the key `word` (the first `word = `) on screen, in px. */
async function squiggles(editor, word) {
  return editor.evaluate((root, word) => {
    const box = (r) => ({ left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), bottom: Math.round(r.bottom) });
    let found = null;
    for (const line of root.querySelectorAll('.view-lines .view-line')) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const texts = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        texts.push(node);
      }
      const text = texts.map((n) => n.data).join('');
      const at = text.replace(/\u00a0/g, ' ').indexOf(`${word} = `); // the key, not a mention in a comment
      if (at < 0) {
        continue;
      }
      // A Range over the word's characters, across the token spans it may be split into.
      const range = document.createRange();
      let offset = 0;
      for (const node of texts) {
        if (offset <= at && at < offset + node.data.length) {
          range.setStart(node, at - offset);
        }
        if (offset < at + word.length && at + word.length <= offset + node.data.length) {
          range.setEnd(node, at + word.length - offset);
        }
        offset += node.data.length;
      }
      found = { line: text.replace(/\u00a0/g, ' '), word: box(range.getBoundingClientRect()) };
      break;
    }
    const marks = [...root.querySelectorAll('.view-overlays .squiggly-error')].map((e) => box(e.getBoundingClientRect()));
    return { ...found, squiggles: marks };
  }, word);
}

/** The editor tabs' names (their text, which the workbench splits into name and extension). */
async function tabTexts(page, which = '.tab') {
  return page.locator(`.tabs-container ${which}`).evaluateAll((tabs) => tabs.map((t) => t.textContent.trim()));
}

/** The lines of the editor that show an op hint (their text has the hint's " · "). */
async function hintLines(editor) {
  return (await editor.locator('.view-lines .view-line').allInnerTexts()).filter((line) => line.includes('\u00b7'));
}

/** The workspace's .vscode/settings.json once `ready(settings)` holds (within 20 s). */
async function workspaceSettings(ready) {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const deadline = Date.now() + 20_000;
  for (;;) {
    let settings = {};
    try {
      settings = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // not there yet, or being written
    }
    if (ready(settings) || Date.now() > deadline) {
      return settings;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Changes the workspace settings as a person editing .vscode/settings.json would. */
async function editSettings(changes) {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const settings = { ...JSON.parse(fs.readFileSync(file, 'utf8')), ...changes };
  fs.writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/** The pids of luakit-ls servers started inside our code-server (its process group). */
function serverPids() {
  try {
    const out = execFileSync('pgrep', ['-g', process.env.LUAKIT_E2E_PGID, '-f', 'luakit-ls --stdio'], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  let failed;
  try {
    await (mode === 'untrusted' ? untrusted(page) : mode === 'build' ? building(page) : main(page));
  } catch (error) {
    failed = error;
    seen.error = String(error && error.stack || error);
    await page.screenshot({ path: path.join(outDir, 'failure.png') }).catch(() => {});
  }
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
  seen.totalMs = Date.now() - t0;
  console.log(JSON.stringify(seen));
  process.exit(failed ? 1 : 0);
})();
