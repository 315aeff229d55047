// The "Show DAG" webview: the graph of one build script, rendered by Graphviz (WebAssembly,
// bundled in out/dag.js) from the DOT that `luakit.showDag` returns. A click on a node reveals
// the Lua line that made it; the nodes of the line under the cursor are highlighted; it follows
// the script's evaluations as you edit.
import * as vscode from 'vscode';
import { type Graph, locationOf, opsAtLine, parseGraph, sourceFile, withRelativePaths } from './dagModel';
import type { FromWebview, ToWebview } from './protocol';

/** Runs a server command for a document (see extension.ts). */
export type RunCommand = (command: string, args: unknown[]) => Promise<Record<string, unknown>>;

/** How locations name a document: its path, or the URI for unsaved buffers (as the server does). */
export function fileNameOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

export class DagPanel implements vscode.Disposable {
  private static current: DagPanel | undefined;

  private graph: Graph | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, uri: vscode.Uri, run: RunCommand, log: vscode.OutputChannel): void {
    if (DagPanel.current) {
      DagPanel.current.follow(uri);
      DagPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      'luakit.dag',
      'DAG',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out')],
      },
    );
    DagPanel.current = new DagPanel(panel, extensionUri, uri, run, log);
  }

  /** The server evaluated `uri` again: the graph may have changed. */
  static evaluated(uri: string): void {
    const panel = DagPanel.current;
    if (panel && panel.uri.toString() === uri) {
      panel.scheduleRefresh(300);
    }
  }

  /** Another build script became the active editor: the view shows its graph instead. */
  static editorChanged(uri: vscode.Uri): void {
    const panel = DagPanel.current;
    if (panel && panel.uri.toString() !== uri.toString()) {
      panel.follow(uri);
    }
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private uri: vscode.Uri,
    private readonly run: RunCommand,
    private readonly log: vscode.OutputChannel,
  ) {
    panel.webview.html = html(panel.webview, extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() === this.uri.toString()) {
          this.highlight(e.textEditor.selection.active.line);
        }
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    this.follow(uri);
  }

  private follow(uri: vscode.Uri): void {
    this.uri = uri;
    this.panel.title = `DAG: ${uri.path.split('/').pop() ?? uri.path}`;
    this.scheduleRefresh(0);
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private scheduleRefresh(delayMs: number): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), delayMs);
  }

  private async refresh(): Promise<void> {
    // One request at a time; an evaluation that arrives meanwhile asks for one more.
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      const uri = this.uri.toString();
      // Two evaluations (DOT to draw, JSON for the locations); a script takes milliseconds.
      const [dot, json] = await Promise.all([this.run('luakit.showDag', [uri, 'dot']), this.run('luakit.showDag', [uri, 'json'])]);
      if (dot.ok !== true || json.ok !== true || typeof dot.dot !== 'string' || typeof json.json !== 'string') {
        // Keep the last graph on screen, with the problems above it: mid-edit, a script is often broken.
        const problems = [dot, json].flatMap((r) => (Array.isArray(r.problems) ? r.problems.map(String) : []));
        this.post({ type: 'problems', problems: problems.length > 0 ? [...new Set(problems)] : ['no graph'] });
        return;
      }
      this.graph = parseGraph(json.json);
      const dir = this.uri.scheme === 'file' ? vscode.Uri.joinPath(this.uri, '..').fsPath : '';
      this.post({ type: 'graph', title: fileNameOf(this.uri), dot: withRelativePaths(dot.dot, dir) });
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
      if (editor) {
        this.highlight(editor.selection.active.line);
      }
    } catch (error) {
      this.log.appendLine(`Show DAG: ${String(error)}`);
      this.post({ type: 'problems', problems: [String(error)] });
    } finally {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.scheduleRefresh(0);
      }
    }
  }

  private highlight(line0: number): void {
    if (this.graph) {
      this.post({ type: 'highlight', digests: opsAtLine(this.graph, fileNameOf(this.uri), line0 + 1) });
    }
  }

  private async receive(message: FromWebview): Promise<void> {
    if (message.type === 'ready') {
      this.scheduleRefresh(0);
    } else if (message.type === 'rendered') {
      this.log.appendLine(`Show DAG: rendered ${message.nodes} nodes for ${fileNameOf(this.uri)}`);
    } else if (message.type === 'reveal' && this.graph) {
      const location = locationOf(this.graph, message.digest);
      if (!location) {
        return;
      }
      // A step made in a `require`d module opens the module at its line; the panel stays the
      // script's (extension.ts follows build scripts only).
      const file = sourceFile(location.file, this.uri.scheme === 'file' ? vscode.Uri.joinPath(this.uri, '..').fsPath : '');
      const target = file.includes('://') || file.startsWith('untitled:') ? vscode.Uri.parse(file) : vscode.Uri.file(file);
      const position = new vscode.Position(Math.max(location.line - 1, 0), Math.max(location.column, 0));
      // Into the editor that shows the script (not the webview's column).
      const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.toString());
      const reveal = () =>
        vscode.window.showTextDocument(target, {
          viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
          selection: new vscode.Range(position, position),
        });
      await reveal();
      // The click also focuses the webview, and the workbench hears of that asynchronously,
      // sometimes after the editor got the focus: then take it back, so that one can type.
      setTimeout(() => {
        if (this.panel.active) {
          void reveal();
        }
      }, 200);
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    if (DagPanel.current === this) {
      DagPanel.current = undefined;
    }
    this.disposables.forEach((d) => d.dispose());
    this.panel.dispose();
  }

  static disposeCurrent(): void {
    DagPanel.current?.dispose();
  }
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'dag.js'));
  const nonce = [...Array(32)].map(() => Math.floor(Math.random() * 36).toString(36)).join('');
  // No network: only our bundled script runs; Graphviz is WebAssembly compiled from bytes inlined
  // in that script, which needs 'wasm-unsafe-eval'.
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>
  /* The editor's colours (VS Code sets these variables, and changes them with the theme). */
  html, body { height: 100%; margin: 0; padding: 0; }
  body { display: flex; flex-direction: column; overflow: hidden; background: var(--vscode-editor-background);
    color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size, 13px); }
  #toolbar { display: flex; align-items: center; gap: 4px; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
  #toolbar button { min-width: 26px; height: 22px; border: none; border-radius: 2px; cursor: pointer; font: inherit;
    background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
  #toolbar button:hover { background: var(--vscode-button-secondaryHoverBackground); }
  #toolbar button:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
  #status { margin-left: 8px; color: var(--vscode-descriptionForeground); }
  #problems { padding: 4px 8px; color: var(--vscode-errorForeground); white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
  #problems:empty { display: none; }
  #viewport { flex: 1; position: relative; overflow: hidden; cursor: grab; outline: none; }
  #viewport.panning { cursor: grabbing; }
  #graph { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
  #graph g.graph > polygon { fill: transparent; stroke: none; } /* Graphviz's white page */
  #graph g.node { cursor: pointer; }
  /* The kind's colour (set by dag.ts as --kind): as it is on a light theme, mixed into the
     background on a dark or high-contrast one, where the pastel would glare. */
  #graph g.node path, #graph g.node polygon { fill: color-mix(in srgb, var(--kind, transparent) 35%, var(--vscode-editor-background));
    stroke: var(--vscode-editor-foreground); }
  body.vscode-light #graph g.node path, body.vscode-light #graph g.node polygon { fill: var(--kind, transparent); }
  #graph g.node:hover path, #graph g.node:hover polygon { stroke-width: 2px; }
  #graph g.node.current path, #graph g.node.current polygon { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 4px; }
  #graph text { fill: var(--vscode-editor-foreground); }
  #graph g.edge path { stroke: var(--vscode-editor-foreground); }
  #graph g.edge polygon { fill: var(--vscode-editor-foreground); stroke: var(--vscode-editor-foreground); }
</style>
</head>
<body>
<div id="toolbar">
  <button id="zoom-in" title="Zoom in (+, or the wheel)" aria-label="Zoom in">+</button>
  <button id="zoom-out" title="Zoom out (−, or the wheel)" aria-label="Zoom out">−</button>
  <button id="fit" title="Fit the panel (0)">Fit</button>
  <span id="status">Evaluating…</span>
</div>
<div id="problems"></div>
<div id="viewport" tabindex="0" title="Wheel: zoom · drag or arrows: pan · 0: fit"><div id="graph"></div></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
