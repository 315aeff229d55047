// Where `luakit-ls` is: the setting, else PATH, else the workspace's virtual environment, else
// the Python extension's interpreter. Plain logic over an injected file probe (unit-tested).
import * as path from 'node:path';

export interface Discovery {
  /** `luakit.server.path`, as the user wrote it ("" when unset). */
  configured: string;
  /** The extension host's PATH. */
  pathEnv: string | undefined;
  /** File system paths of the workspace folders. */
  folders: string[];
  /** The Python extension's selected interpreter, when it has one. */
  pythonInterpreter?: string;
  home: string;
  platform: NodeJS.Platform;
}

export type Found = { found: true; path: string; how: string };
export type NotFound = { found: false; problem: string };

export function executableName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'luakit-ls.exe' : 'luakit-ls';
}

/** `~` and `${workspaceFolder}` expanded; a relative path is taken from the first folder. */
export function expandConfigured(value: string, folders: string[], home: string): string {
  let expanded = value.trim();
  const folder = folders[0];
  if (folder !== undefined) {
    expanded = expanded.split('${workspaceFolder}').join(folder);
  }
  if (expanded === '~' || expanded.startsWith('~/')) {
    expanded = path.join(home, expanded.slice(1));
  }
  if (!path.isAbsolute(expanded) && folder !== undefined) {
    expanded = path.join(folder, expanded);
  }
  return expanded;
}

export function findServer(d: Discovery, isExecutable: (file: string) => boolean): Found | NotFound {
  const name = executableName(d.platform);
  if (d.configured.trim() !== '') {
    const file = expandConfigured(d.configured, d.folders, d.home);
    if (isExecutable(file)) {
      return { found: true, path: file, how: 'the luakit.server.path setting' };
    }
    // An explicit setting that points nowhere is a mistake to report, not to work around.
    return { found: false, problem: `luakit.server.path is "${d.configured}", but ${file} is not an executable file.` };
  }
  const separator = d.platform === 'win32' ? ';' : ':';
  for (const dir of (d.pathEnv ?? '').split(separator)) {
    if (dir !== '' && isExecutable(path.join(dir, name))) {
      return { found: true, path: path.join(dir, name), how: 'PATH' };
    }
  }
  const binDir = d.platform === 'win32' ? 'Scripts' : 'bin';
  for (const folder of d.folders) {
    for (const venv of ['.venv', 'venv']) {
      const file = path.join(folder, venv, binDir, name);
      if (isExecutable(file)) {
        return { found: true, path: file, how: `the workspace's ${venv}` };
      }
    }
  }
  if (d.pythonInterpreter) {
    const file = path.join(path.dirname(d.pythonInterpreter), name);
    if (isExecutable(file)) {
      return { found: true, path: file, how: "the Python extension's interpreter" };
    }
  }
  return { found: false, problem: 'luakit-ls (the luakit language server) was not found on PATH nor in the workspace\'s Python environment.' };
}

/** A `pyproject.toml` of the luakit project itself (`name = "luakit"` in `[project]`). */
export function isLuakitProject(pyproject: string): boolean {
  return /^\s*name\s*=\s*["']luakit["']\s*$/m.test(pyproject);
}

/**
 * The shell command that installs the server: luakit is not on PyPI, so it installs from a
 * clone (editable when the clone is the workspace, so the server follows its edits).
 */
export function installCommand(source: string, python: string, editable: boolean): string {
  const quoted = `"${source.replace(/(["\\$`])/g, '\\$1')}"`;
  return `${python} -m pip install ${editable ? '-e ' : ''}${quoted}`;
}
