// The settings the server reads (docs/editors.md), from the `luakit` configuration section.

export interface ServerSettings {
  timeout: number;
  memoryLimit: number;
  buildArgs: Record<string, string>;
  platform: string | null;
  files: string[];
  buildkitHost: string | null;
  buildOutput: BuildOutput | null;
}

/** What `luakit: Build` exports (docs/editors.md, `buildOutput`): none solves only. */
export type BuildOutput = { type: 'local'; dest: string } | { type: 'image'; name: string; push: boolean };

/** `get` reads a key of the `luakit` section (as `WorkspaceConfiguration.get` does). */
export function serverSettings(get: (key: string) => unknown): ServerSettings {
  const args = get('buildArgs');
  const buildArgs: Record<string, string> = {};
  if (args && typeof args === 'object') {
    for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
      buildArgs[k] = String(v);
    }
  }
  const files = get('files');
  const platform = get('platform');
  const host = get('buildkitHost');
  return {
    timeout: Number(get('timeout') ?? 2),
    memoryLimit: Number(get('memoryLimit') ?? 512),
    buildArgs,
    platform: typeof platform === 'string' && platform.trim() !== '' ? platform.trim() : null,
    files: Array.isArray(files) && files.length > 0 ? files.map(String) : ['build.lua', '*.build.lua'],
    buildkitHost: typeof host === 'string' && host.trim() !== '' ? host.trim() : null,
    buildOutput: buildOutput(get('buildOutput')),
  };
}

function buildOutput(value: unknown): BuildOutput | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const v = value as Record<string, unknown>;
  if (v.type === 'local' && typeof v.dest === 'string' && v.dest !== '') {
    return { type: 'local', dest: v.dest };
  }
  if (v.type === 'image' && typeof v.name === 'string' && v.name !== '') {
    return { type: 'image', name: v.name, push: v.push === true };
  }
  return null;
}
