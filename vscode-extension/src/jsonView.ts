// The JSON view of Emit LLB: a read-only virtual document (scheme `luakit-json:`) showing what
// `luakit dag --format json` prints for a script. VS Code asks us for its text; when the server
// evaluates the script again we say so (onDidChange) and the open view refreshes in place. Being
// virtual, it is never "Untitled" and never asks to be saved.
import * as vscode from 'vscode';

export const JSON_SCHEME = 'luakit-json';

/** Runs a server command (see extension.ts). */
type ShowDag = (script: string) => Promise<{ ok: boolean; problems: string[]; json?: string | null }>;

export class JsonViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** The last text that parsed, per view: a script that is broken mid-edit keeps its last graph. */
  private readonly last = new Map<string, string>();

  constructor(private readonly showDag: ShowDag) {}

  /** The view of `script`: `luakit-json:/path/build.lua.json?<script URI>` (the name is the tab's title). */
  static uriFor(script: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: JSON_SCHEME, path: `${script.path}.json`, query: script.toString() });
  }

  async provideTextDocumentContent(view: vscode.Uri): Promise<string> {
    const answer = await this.showDag(view.query);
    const previous = this.last.get(view.toString());
    if (answer.ok && typeof answer.json === 'string') {
      this.last.set(view.toString(), answer.json);
      return answer.json;
    }
    const problems = answer.problems.map((p) => `// ${p}`).join('\n');
    return previous ?? `// luakit: the script does not evaluate:\n${problems}\n`;
  }

  /** The server evaluated `script` again: an open view of it refreshes. */
  evaluated(script: string): void {
    for (const document of vscode.workspace.textDocuments) {
      if (document.uri.scheme === JSON_SCHEME && document.uri.query === script) {
        this.changed.fire(document.uri);
      }
    }
  }

  forget(view: vscode.Uri): void {
    this.last.delete(view.toString());
  }

  dispose(): void {
    this.changed.dispose();
  }
}
