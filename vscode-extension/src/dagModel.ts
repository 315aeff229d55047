// The build graph as `luakit.showDag` returns it in JSON, and the questions the DAG view asks of
// it: which ops a line made, where an op was made. Plain logic, unit-tested. The types are
// generated from luakit_ls/protocol.schema.json (src/protocol.generated.ts).
import { isAbsolute, join } from 'node:path';
import type { Graph, GraphOp, OpLocation } from './protocol.generated';

export type { Graph, GraphOp, OpLocation };

export function parseGraph(json: string): Graph {
  const value = JSON.parse(json) as unknown;
  const ops = (value as { ops?: unknown }).ops;
  if (!Array.isArray(ops)) {
    throw new Error('the DAG JSON has no "ops" list');
  }
  return value as Graph;
}

/**
 * The ops made by the code at `line` (1-based) of `file`: those whose location spans the line,
 * the innermost ones when calls nest (a `run` inside a `copy` spanning several lines).
 */
export function opsAtLine(graph: Graph, file: string, line: number): string[] {
  let best = Infinity;
  let found: string[] = [];
  for (const op of graph.ops) {
    const loc = op.location;
    if (!loc || loc.file !== file) {
      continue;
    }
    const end = loc.end_line ?? loc.line;
    if (line < loc.line || line > end) {
      continue;
    }
    const span = end - loc.line;
    if (span < best) {
      best = span;
      found = [op.digest];
    } else if (span === best) {
      found.push(op.digest);
    }
  }
  return found;
}

export function locationOf(graph: Graph, digest: string): OpLocation | undefined {
  return graph.ops.find((op) => op.digest === digest)?.location ?? undefined;
}

/**
 * The file a location names, to open: a module's location is relative to the script's folder
 * (`lib/steps.lua`), the script's own is its path, an unsaved buffer's its URI.
 */
export function sourceFile(file: string, scriptDir: string): string {
  if (file.includes('://') || file.startsWith('untitled:') || isAbsolute(file) || scriptDir === '') {
    return file;
  }
  return join(scriptDir, file);
}

/** The server's lenses run its own commands, which return data; clicking one must show it instead. */
export const LENS_COMMANDS: Record<string, string> = {
  'luakit.emitDefinition': 'luakit.ui.emitLlb',
  'luakit.showDag': 'luakit.ui.showDag',
  'luakit.validate': 'luakit.ui.validate',
  'luakit.build': 'luakit.ui.build',
};

export function clientCommandFor(serverCommand: string): string | undefined {
  return LENS_COMMANDS[serverCommand];
}

/**
 * The DOT with `dir/` taken out of its labels: the server names files by their full path, which
 * would make every box as wide as the path. Node ids are digests, so only labels change.
 */
export function withRelativePaths(dot: string, dir: string): string {
  if (dir === '') {
    return dot;
  }
  // Paths appear inside DOT strings, where `\` and `"` are escaped.
  const escaped = `${dir.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}/`;
  return dot.split(escaped).join('');
}
