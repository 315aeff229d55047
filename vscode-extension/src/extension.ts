// The luakit extension: starts `luakit-ls` for Lua documents and gives its commands a UI
// (Emit LLB, Show DAG, Validate, Build), a status bar item and LuaLS integration.
// The logic worth testing lives in plain modules (backoff, serverPath, luals, status, dagModel,
// settings, trust, serverLog, webview/view); this file wires them to VS Code. The JSON the
// server sends beyond LSP has its types in protocol.generated.ts (from luakit_ls/protocol.schema.json).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import {
  CloseAction,
  CodeLensRequest,
  type CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandlerResult,
  ExecuteCommandRequest,
  LSPErrorCodes,
  InlayHintRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { onCrash } from './backoff';
import { buildReport } from './build';
import { DagPanel } from './dagPanel';
import { clientCommandFor } from './dagModel';
import { JSON_SCHEME, JsonViews } from './jsonView';
import { LUALS_EXTENSION, libraryWithStubs, withoutDuplicates } from './luals';
import { findServer, installCommand, isLuakitProject } from './serverPath';
import type { BuildAnswer, ShowDagAnswer } from './protocol.generated';
import { describeSettings, errorLines, stderrLevel } from './serverLog';
import { serverSettings } from './settings';
import { type Evaluated, statusView } from './status';
import { noServerMessage, trustDecision } from './trust';

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let extensionUri: vscode.Uri;
const lastEvaluation = new Map<string, Evaluated>();
const crashes: number[] = [];
let jsonViews: JsonViews;
/** The evaluation errors last written to the log, per document (written again only when they change). */
const loggedErrors = new Map<string, string>();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionUri = context.extensionUri;
  output = vscode.window.createOutputChannel('luakit', { log: true });
  status = vscode.window.createStatusBarItem('luakit.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'luakit';
  context.subscriptions.push(output, status, { dispose: () => DagPanel.disposeCurrent() });
  jsonViews = new JsonViews(
    async (script) => (await runServerCommand('luakit.showDag', [script, 'json'])) as unknown as ShowDagAnswer,
  );
  context.subscriptions.push(
    jsonViews,
    vscode.workspace.registerTextDocumentContentProvider(JSON_SCHEME, jsonViews),
    vscode.workspace.onDidCloseTextDocument((d) => d.uri.scheme === JSON_SCHEME && jsonViews.forget(d.uri)),
  );

  context.subscriptions.push(
    vscode.commands.registerCommand('luakit.ui.emitLlb', (arg?: unknown) => withScript(arg, emitLlb)),
    vscode.commands.registerCommand('luakit.ui.showDag', (arg?: unknown) =>
      withScript(arg, async (uri) => DagPanel.show(extensionUri, uri, (c, a) => runServerCommand(c, a), output)),
    ),
    vscode.commands.registerCommand('luakit.ui.validate', (arg?: unknown) => withScript(arg, validate)),
    vscode.commands.registerCommand('luakit.ui.build', (arg?: unknown) => withScript(arg, build)),
    vscode.commands.registerCommand('luakit.restartServer', restartServer),
    vscode.commands.registerCommand('luakit.showOutput', () => output.show(true)),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      updateStatus();
      // Only build scripts have an evaluation (a JSON view or a plain Lua file does not), and the
      // view follows build scripts only: a module of steps, opened from a node of the graph,
      // leaves it showing the script that requires it.
      if (editor && lastEvaluation.has(editor.document.uri.toString()) && isNamedScript(editor.document)) {
        DagPanel.editorChanged(editor.document.uri);
      }
    }),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void configureLuaLs();
      void startServer();
    }),
  );

  void configureLuaLs();
  await startServer();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

// ------------------------------------------------------------------ the server

let starting: Promise<void> | undefined;

/** Starts luakit-ls unless it runs or is starting (activation and a trust grant may overlap). */
function startServer(): Promise<void> {
  starting ??= tryStartServer().finally(() => {
    starting = undefined;
  });
  return starting;
}

async function tryStartServer(): Promise<void> {
  if (client) {
    return;
  }
  const trusted = vscode.workspace.isTrusted;
  const decision = trustDecision(trusted, trusted || (await hasBuildScripts()));
  if (!decision.start) {
    // Evaluating a script runs code from the folder (sandboxed, still): wait for trust.
    output.appendLine('This folder is not trusted: luakit-ls is not started until it is.');
    if (decision.status) {
      status.text = decision.status.text;
      status.tooltip = decision.status.tooltip;
      status.command = decision.status.command;
      status.backgroundColor = undefined;
      status.show();
    } else {
      status.hide();
    }
    return;
  }
  const found = findServer(
    {
      configured: vscode.workspace.getConfiguration('luakit').get<string>('server.path', ''),
      pathEnv: process.env.PATH,
      folders: folders(),
      pythonInterpreter: await pythonInterpreter(),
      home: os.homedir(),
      platform: process.platform,
    },
    isExecutable,
  );
  if (!found.found) {
    output.appendLine(`${found.problem} (PATH: ${process.env.PATH ?? ''})`);
    if (!(await hasBuildScripts())) {
      return; // a plain Lua project (we activate on any Lua file): no need to nag
    }
    status.text = '$(warning) luakit-ls not found';
    status.tooltip = found.problem;
    status.command = 'luakit.showOutput';
    status.show();
    void offerInstall(found.problem);
    return;
  }
  output.info(`Starting ${found.path} (found through ${found.how})`);
  const serverOptions: ServerOptions = { command: found.path, transport: TransportKind.stdio }; // adds --stdio
  const settings = serverSettings((key) => vscode.workspace.getConfiguration('luakit').get(key));
  output.info(`Settings sent: ${describeSettings(settings)}`);
  const clientOptions: LanguageClientOptions = {
    // Every Lua file: the server decides by name and content (`bk.` calls) which ones are build
    // scripts and stays silent on the others (docs/editors.md).
    documentSelector: [
      { scheme: 'file', language: 'lua' },
      { scheme: 'untitled', language: 'lua' },
    ],
    initializationOptions: settings,
    outputChannel: output,
    // The client would log every line of the server's stderr as an error; pygls writes routine
    // notes there too (a cancellation of a request that had already finished).
    stdioOptions: {
      stdout: () => undefined, // unused: with stdio, stdout is the LSP stream
      stderr: (input, channel) =>
        readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', (line) => channel[stderrLevel(line)](line)),
    },
    // The client's own errors (a request VS Code made while a crashed server was restarting
    // fails with "Connection is disposed", with a stack trace) go to the log only: what a user
    // needs to know about the server, this extension says itself (start failure, crashes).
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: {
      error: (_error, _message, count): ErrorHandlerResult =>
        ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
      closed: restartAfterCrash,
    },
    middleware: {
      handleDiagnostics: (uri, diagnostics, next) => {
        logErrors(uri, diagnostics);
        next(uri, withoutDuplicates(diagnostics, luaLsActive()));
      },
      // An evaluated script with ops has hints; none means the server's detailed evaluation
      // (which the hints come from) is still running, as right after a (re)start: ask again
      // shortly, a few times. (A server that sends workspace/inlayHint/refresh when it is done
      // makes this moot; this keeps hints coming back with one that does not.)
      provideInlayHints: async (document, range, token, next) => {
        const hints = await next(document, range, token);
        const evaluated = lastEvaluation.get(document.uri.toString());
        if ((hints ?? []).length === 0 && evaluated && evaluated.ops > 0 && evaluated.errors === 0) {
          askHintsAgain(document, evaluated.version);
        }
        return hints;
      },
      // The server's lenses name its own commands, which only return data: run ours, which show it.
      provideCodeLenses: async (document, token, next) => {
        const lenses = (await next(document, token)) ?? [];
        for (const lens of lenses) {
          const ours = lens.command && clientCommandFor(lens.command.command);
          if (lens.command && ours) {
            lens.command = { ...lens.command, command: ours, arguments: [document.uri] };
          }
        }
        return lenses;
      },
    },
  };
  client = new LanguageClient('luakit', 'luakit', serverOptions, clientOptions);
  const started = client;
  client.onNotification('luakit/evaluated', (e: Evaluated) => {
    const first = !lastEvaluation.has(e.uri);
    [...hintRetries.keys()].filter((key) => key.startsWith(`${e.uri}@`)).forEach((key) => hintRetries.delete(key));
    lastEvaluation.set(e.uri, e);
    updateStatus();
    DagPanel.evaluated(e.uri);
    jsonViews.evaluated(e.uri);
    if (first) {
      // The first evaluation since the server (re)started: hints and lenses VS Code asked for
      // before it had anything to say are asked again, without waiting for an edit.
      refreshHintsAndLenses(started, e.uri);
    }
  });
  client.onDidChangeState(({ newState }) => {
    if (newState === State.Running) {
      const info = started.initializeResult?.serverInfo;
      output.info(`${info?.name ?? 'luakit-ls'} ${info?.version ?? ''} is running (${found.path}).`);
      loggedErrors.clear();
      refreshHintsAndLenses(started);
    }
  });
  try {
    await client.start();
  } catch (error) {
    output.error(`luakit-ls did not start: ${String(error)}`);
    void vscode.window.showErrorMessage(`luakit-ls did not start: ${String(error)}`, 'Show Log').then((choice) => {
      if (choice) {
        output.show(true);
      }
    });
  }
  updateStatus();
}

/** The connection closed without us asking: restart after a growing delay, or give up. */
async function restartAfterCrash(): Promise<CloseHandlerResult> {
  const decision = onCrash(crashes, Date.now());
  if (!decision.restart) {
    const message = `luakit-ls crashed ${decision.crashes} times in a few minutes; it is not restarted.`;
    output.error(message);
    void vscode.window.showErrorMessage(message, 'Restart Server', 'Show Log').then((choice) => {
      if (choice === 'Restart Server') {
        void restartServer();
      } else if (choice === 'Show Log') {
        output.show(true);
      }
    });
    return { action: CloseAction.DoNotRestart, handled: true };
  }
  output.warn(`luakit-ls stopped; restarting in ${decision.delayMs} ms (crash ${decision.crashes}).`);
  // What the status bar said is about a server that is gone: the restarted one evaluates again.
  lastEvaluation.clear();
  status.text = '$(sync~spin) luakit restarting';
  status.tooltip = `luakit-ls stopped unexpectedly (${decision.crashes} times in the last minutes); restarting.`;
  status.command = 'luakit.showOutput';
  status.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  status.show();
  await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  return { action: CloseAction.Restart, handled: true };
}

async function restartServer(): Promise<void> {
  crashes.length = 0;
  const old = client;
  client = undefined;
  lastEvaluation.clear();
  if (old) {
    output.appendLine('Restarting luakit-ls.');
    try {
      await old.stop(5000);
    } catch (error) {
      output.appendLine(`stopping luakit-ls: ${String(error)}`);
    }
    await old.dispose();
  }
  await startServer();
}

function onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
  if (event.affectsConfiguration('luakit.server.path')) {
    void restartServer();
  } else if (event.affectsConfiguration('luakit') && client?.state === State.Running) {
    const settings = serverSettings((key) => vscode.workspace.getConfiguration('luakit').get(key));
    output.info(`Settings sent: ${describeSettings(settings)}`);
    void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { luakit: settings } });
  }
  if (event.affectsConfiguration('luakit.luaLs')) {
    void configureLuaLs();
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function folders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The Python extension's selected interpreter, when that extension is installed. */
async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension('ms-python.python');
  if (!python) {
    return undefined;
  }
  try {
    const api = (await python.activate()) as {
      environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } };
    };
    return api.environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri).path;
  } catch {
    return undefined;
  }
}

/**
 * Says what to install, with a button that runs it in a terminal. luakit is installed from a
 * clone (it is not on PyPI): the workspace when it is one, else a folder the user picks.
 */
async function offerInstall(problem: string): Promise<void> {
  const clone = folders().find((f) => {
    try {
      return isLuakitProject(fs.readFileSync(path.join(f, 'pyproject.toml'), 'utf8'));
    } catch {
      return false;
    }
  });
  const install = clone ? 'Install from this workspace' : 'Install from a luakit clone…';
  const choice = await vscode.window.showErrorMessage(
    `${problem} It comes with the luakit Python package: pip install a clone of luakit, or set luakit.server.path.`,
    install,
    'Open Settings',
  );
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'luakit.server.path');
    return;
  }
  if (choice !== install) {
    return;
  }
  let source = clone;
  if (!source) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Install luakit from here' });
    source = picked?.[0]?.fsPath;
  }
  if (!source) {
    return;
  }
  const python = (await pythonInterpreter()) ?? 'python3';
  const terminal = vscode.window.createTerminal({ name: 'luakit: install' });
  terminal.show();
  // `exit` on success closes the terminal, which is our cue to start the server; on failure
  // the terminal stays open with pip's error.
  terminal.sendText(`${installCommand(source, python, source === clone)} && exit`);
  const watch = vscode.window.onDidCloseTerminal((closed) => {
    if (closed === terminal) {
      watch.dispose();
      void restartServer();
    }
  });
}

// ------------------------------------------------------------------ commands

/** The document a command is for: the lens's / menu's URI, else the active Lua editor. */
async function withScript(arg: unknown, action: (uri: vscode.Uri) => Promise<void>): Promise<void> {
  const uri =
    arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !uri.path.endsWith('.lua')) {
    void vscode.window.showWarningMessage('luakit: open a build script (a .lua file) first.');
    return;
  }
  if (!client) {
    void vscode.window.showErrorMessage(noServerMessage(vscode.workspace.isTrusted));
    return;
  }
  await action(uri);
}

async function runServerCommand(command: string, args: unknown[]): Promise<Record<string, unknown>> {
  if (!client) {
    throw new Error('the language server is not running');
  }
  const result = (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as Record<string, unknown> | null;
  return result ?? { ok: false, problems: ['no answer from the server'] };
}

function problemsOf(result: Record<string, unknown>): string[] {
  return Array.isArray(result.problems) ? result.problems.map(String) : [];
}

async function showProblems(uri: vscode.Uri, what: string, result: Record<string, unknown>): Promise<void> {
  const problems = problemsOf(result);
  output.appendLine(`${what} ${uri.fsPath}:`);
  problems.forEach((p) => output.appendLine(`  ${p}`));
  const choice = await vscode.window.showErrorMessage(`luakit: ${what} failed: ${problems[0] ?? 'unknown error'}`, 'Show Problems', 'Show Log');
  if (choice === 'Show Problems') {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
  } else if (choice === 'Show Log') {
    output.show(true);
  }
}

async function emitLlb(uri: vscode.Uri): Promise<void> {
  const save = 'Save Definition to file…';
  const json = 'Open JSON view';
  const choice = await vscode.window.showQuickPick(
    [
      { label: save, detail: 'The pb.Definition bytes that `luakit build` writes, for `buildctl build`' },
      { label: json, detail: 'The op graph as JSON (what `luakit dag --format json` prints)' },
    ],
    { title: 'luakit: Emit LLB' },
  );
  if (choice?.label === save) {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(uri, '..', `${path.basename(uri.path, '.lua')}.llb`),
      filters: { 'LLB definition': ['llb', 'pb'] },
    });
    if (!target) {
      return;
    }
    const result = await runServerCommand('luakit.emitDefinition', [uri.toString()]);
    if (result.ok !== true || typeof result.definition !== 'string') {
      return showProblems(uri, 'Emit LLB', result);
    }
    // Written here rather than by the server, so that any file system VS Code can save to works.
    const bytes = Buffer.from(result.definition, 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`luakit: wrote ${bytes.length} bytes (${String(result.ops)} ops) to ${vscode.workspace.asRelativePath(target)}`);
  } else if (choice?.label === json) {
    const result = await runServerCommand('luakit.showDag', [uri.toString(), 'json']);
    if (result.ok !== true || typeof result.json !== 'string') {
      return showProblems(uri, 'Emit LLB', result);
    }
    // A virtual document that follows the script's evaluations (see jsonView.ts).
    const document = await vscode.workspace.openTextDocument(JsonViews.uriFor(uri));
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  }
}

async function validate(uri: vscode.Uri): Promise<void> {
  const result = await runServerCommand('luakit.validate', [uri.toString()]);
  const name = path.basename(uri.path);
  if (result.ok === true) {
    const warnings = problemsOf(result).length;
    void vscode.window.showInformationMessage(
      `luakit: ${name} is valid (${String(result.ops)} ops${warnings > 0 ? `, ${warnings} warnings` : ''}).`,
    );
  } else {
    await showProblems(uri, `Validate ${name}`, result);
  }
}

/**
 * Builds the script on BuildKit (the server's `luakit.build`): a cancellable notification while it
 * runs (the server's work-done progress names the running step in the status bar), the outcome in
 * the output channel, a failed step in the Problems panel (the server's LK010 diagnostic).
 */
async function build(uri: vscode.Uri): Promise<void> {
  const name = path.basename(uri.path);
  const current = client;
  if (!current) {
    return;
  }
  output.info(`Build ${name}: started`);
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `luakit: building ${name}`, cancellable: true },
    async (_progress, token): Promise<BuildAnswer> => {
      try {
        // Cancel sends $/cancelRequest: the server cancels the build on the daemon.
        return (await current.sendRequest(ExecuteCommandRequest.type, { command: 'luakit.build', arguments: [uri.toString()] }, token)) as BuildAnswer;
      } catch (error) {
        if (token.isCancellationRequested || (error as { code?: number }).code === LSPErrorCodes.RequestCancelled) {
          return { status: 'cancelled' };
        }
        return { status: 'failed', message: String(error) };
      }
    },
  );
  const report = buildReport(name, answer);
  report.log.forEach((line) => (report.level === 'error' ? output.error(line) : output.info(line)));
  if (report.level === 'error' && answer.log === undefined) {
    return; // no step failed (an unreachable daemon, a script with errors): the server said it in a message
  }
  if (report.level === 'info') {
    void vscode.window.showInformationMessage(report.text);
  } else if (report.level === 'warning') {
    void vscode.window.showWarningMessage(report.text);
  } else {
    const choice = await vscode.window.showErrorMessage(report.text, 'Show Problems', 'Show Log');
    if (choice === 'Show Problems') {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    } else if (choice === 'Show Log') {
      output.show(true);
    }
  }
}

/** Asks VS Code to request the inlay hints and code lenses of open documents (or of `uri`) again. */
function refreshHintsAndLenses(of: LanguageClient, uri?: string): void {
  const hints = of.getFeature(InlayHintRequest.method);
  const lenses = of.getFeature(CodeLensRequest.method);
  for (const document of vscode.workspace.textDocuments) {
    if (uri === undefined || document.uri.toString() === uri) {
      hints.getProvider(document)?.onDidChangeInlayHints.fire();
      lenses.getProvider(document)?.onDidChangeCodeLensEmitter.fire();
    }
  }
}

const HINT_RETRIES = 5;
const hintRetries = new Map<string, number>(); // `uri@version` -> requests asked again

function askHintsAgain(document: vscode.TextDocument, version: number): void {
  const key = `${document.uri.toString()}@${version}`;
  const asked = hintRetries.get(key) ?? 0;
  if (asked >= HINT_RETRIES || !client) {
    return;
  }
  hintRetries.set(key, asked + 1);
  const current = client;
  setTimeout(() => current.getFeature(InlayHintRequest.method).getProvider(document)?.onDidChangeInlayHints.fire(), 300 * (asked + 1));
}

/** A script's evaluation errors, in the log when they change (not on every keystroke). */
function logErrors(uri: vscode.Uri, diagnostics: readonly vscode.Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  const name = vscode.workspace.asRelativePath(uri);
  const lines = errorLines(
    name,
    errors.map((d) => ({
      line: d.range.start.line,
      character: d.range.start.character,
      message: d.message,
      code: typeof d.code === 'object' ? d.code.value : d.code,
    })),
  );
  const key = uri.toString();
  const text = lines.join('\n');
  if ((loggedErrors.get(key) ?? '') === text) {
    return;
  }
  loggedErrors.set(key, text);
  if (lines.length === 0) {
    output.info(`${name}: no errors`);
  } else {
    output.warn(`${name}: ${lines.length === 1 ? '1 error' : `${lines.length} errors`}`);
    lines.forEach((line) => output.warn(`  ${line}`));
  }
}

/** Whether `document` is a build script by name (`luakit.files`), as the server decides. */
function isNamedScript(document: vscode.TextDocument): boolean {
  const files = vscode.workspace.getConfiguration('luakit').get<string[]>('files', ['build.lua', '*.build.lua']);
  return files.some((glob) => vscode.languages.match({ pattern: glob.includes('/') ? glob : `**/${glob}` }, document) > 0);
}

// ------------------------------------------------------------------ status bar

function updateStatus(): void {
  if (!client) {
    return;
  }
  const document = vscode.window.activeTextEditor?.document;
  const evaluated = document && lastEvaluation.get(document.uri.toString());
  if (!evaluated) {
    // Only build scripts get an item; for another file the last one would be misleading.
    status.hide();
    return;
  }
  const view = statusView(evaluated);
  status.text = view.text;
  status.tooltip = view.tooltip;
  status.command = view.hasErrors ? 'workbench.actions.view.problems' : 'luakit.showOutput';
  status.backgroundColor = view.hasErrors ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  status.show();
}

/** Whether the workspace has a file named like a build script, or an open Lua file calls `bk.`. */
async function hasBuildScripts(): Promise<boolean> {
  const calls = /(^|[^\w.])bk\s*\.\s*[A-Za-z_]/; // as the server decides (luakit_ls/documents.py)
  if (vscode.workspace.textDocuments.some((d) => d.languageId === 'lua' && calls.test(d.getText()))) {
    return true;
  }
  const files = vscode.workspace.getConfiguration('luakit').get<string[]>('files', ['build.lua', '*.build.lua']);
  const globs = files.map((g) => (g.includes('/') ? g : `**/${g}`));
  return (await vscode.workspace.findFiles(`{${globs.join(',')}}`, '**/node_modules/**', 1)).length > 0;
}

// ------------------------------------------------------------------ LuaLS

/** LuaLS is installed and enabled, and the user wants us to work with it. */
function luaLsActive(): boolean {
  return (
    vscode.extensions.getExtension(LUALS_EXTENSION) !== undefined &&
    vscode.workspace.getConfiguration('luakit').get<boolean>('luaLs.integration', true)
  );
}

/**
 * With LuaLS installed, adds our stubs to its library for this workspace (so `bk` is no
 * "undefined global" there) and turns off its third-party prompt, which would otherwise ask
 * again and again whether to configure the environment. Only in a workspace with build
 * scripts: a plain Lua project is left alone.
 */
async function configureLuaLs(): Promise<void> {
  // Not in a folder the user has not trusted: we leave its files alone until then.
  if (!luaLsActive() || !vscode.workspace.workspaceFolders || !vscode.workspace.isTrusted) {
    return;
  }
  if (!(await hasBuildScripts())) {
    return;
  }
  const lua = vscode.workspace.getConfiguration('Lua');
  const stubs = vscode.Uri.joinPath(extensionUri, 'types').fsPath;
  const library = libraryWithStubs(lua.inspect('workspace.library')?.workspaceValue, stubs);
  try {
    if (library) {
      await lua.update('workspace.library', library, vscode.ConfigurationTarget.Workspace);
      output.appendLine(`Added ${stubs} to Lua.workspace.library (LuaLS) for this workspace.`);
    }
    if (lua.inspect('workspace.checkThirdParty')?.workspaceValue === undefined) {
      await lua.update('workspace.checkThirdParty', false, vscode.ConfigurationTarget.Workspace);
    }
  } catch (error) {
    output.appendLine(`Could not configure LuaLS: ${String(error)}`);
  }
}
