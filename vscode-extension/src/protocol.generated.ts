// Generated from luakit_ls/protocol.schema.json by scripts/schema.mjs (npm run schema): do not edit.

/**
 * The JSON that crosses from luakit-ls to an editor beyond LSP itself: the luakit/evaluated notification, the answers of the workspace commands (luakit_ls/commands.py) and the graph JSON of Show DAG / `luakit dag --format json` (compiler/render/json_view.py). vscode-extension/src/protocol.generated.ts is generated from this file (npm run schema); tests/ls/test_protocol_schema.py checks real server output against it.
 */
export interface LuakitProtocol {
  evaluated?: Evaluated;
  validation?: Validation;
  emitDefinition?: EmitDefinitionAnswer;
  showDag?: ShowDagAnswer;
  build?: BuildAnswer;
  graph?: Graph;
}
/**
 * Params of the luakit/evaluated notification, sent after each evaluation of a script (status bars).
 */
export interface Evaluated {
  /**
   * The script's document URI.
   */
  uri: string;
  /**
   * The document version that was evaluated.
   */
  version: number;
  /**
   * How long the evaluation took.
   */
  seconds: number;
  /**
   * Ops in the build graph.
   */
  ops: number;
  /**
   * Problems of severity error.
   */
  errors: number;
}
/**
 * Answer of luakit.validate: whether the script builds, with its problems as `luakit validate` prints them. The other commands' answers extend it.
 */
export interface Validation {
  ok: boolean;
  /**
   * `file:line:col: message` lines.
   */
  problems: string[];
  /**
   * Absent when nothing was evaluated (bad arguments, unreadable script, cancelled).
   */
  ops?: number;
}
/**
 * Answer of luakit.emitDefinition [uri, path?]: the pb.Definition as base64, or the path it was written to.
 */
export interface EmitDefinitionAnswer {
  ok: boolean;
  problems: string[];
  ops?: number;
  /**
   * The bytes `luakit build` writes.
   */
  definition?: string;
  /**
   * Where the Definition was written, when a path was given.
   */
  path?: string;
}
/**
 * Answer of luakit.showDag [uri, "dot" | "json"]: the graph as DOT, or as the text of a Graph.
 */
export interface ShowDagAnswer {
  ok: boolean;
  problems: string[];
  ops?: number;
  /**
   * Graphviz DOT; node ids are op digests.
   */
  dot?: string | null;
  /**
   * A Graph as JSON text.
   */
  json?: string | null;
}
/**
 * Answer of luakit.build [uri]: the script built on BuildKit (luakit_ls/building.py).
 */
export interface BuildAnswer {
  status: 'built' | 'failed' | 'cancelled';
  /**
   * What the exporter answered (the image digest, ...), when built.
   */
  exporterResponse?: {
    [k: string]: string;
  };
  /**
   * How long the build took, when built.
   */
  seconds?: number;
  /**
   * Why it failed, in one line: `build.lua:4:14: run failed: /bin/sh -c make: exit code 2`.
   */
  message?: string;
  /**
   * The failed step's last output lines.
   */
  log?: string[];
}
/**
 * The op graph: what `luakit dag --format json` prints and the JSON view shows.
 */
export interface Graph {
  ops: GraphOp[];
  /**
   * Only with `--kinds`: edges between the kept ops, drawn through the hidden ones.
   */
  edges?: {
    from: string;
    to: string;
  }[];
  export: GraphExport;
}
export interface GraphOp {
  digest: string;
  kind: 'source' | 'exec' | 'file' | 'merge' | 'diff' | 'build' | 'unknown';
  inputs: OpInput[];
  /**
   * The Lua call that made the op; null for ops luakit made itself.
   */
  location: OpLocation | null;
  /**
   * Further calls that made the same op.
   */
  also_at?: OpLocation[];
  platform: string | null;
  /**
   * One line: the image, the command, the file action.
   */
  summary: string;
  /**
   * The op's body as protobuf JSON (fields as BuildKit names them).
   */
  details: {
    [k: string]: unknown;
  };
}
export interface OpInput {
  digest: string;
  index: number;
}
/**
 * A range in a Lua file. `file` is the script's path as the server names it, or a module's path relative to the script's folder.
 */
export interface OpLocation {
  file: string;
  /**
   * 1-based.
   */
  line: number;
  /**
   * 0-based, in code points.
   */
  column: number;
  end_line: number;
  end_column: number;
}
export interface GraphExport {
  /**
   * The image config the export writes.
   */
  config: {
    [k: string]: unknown;
  } | null;
  /**
   * The exported op (absent for an empty graph).
   */
  digest?: string;
  index?: number;
}
