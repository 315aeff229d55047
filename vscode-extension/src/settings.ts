// The settings the server reads (docs/editors.md), from the `luakit` configuration section.

export interface ServerSettings {
  timeout: number;
  memoryLimit: number;
  buildArgs: Record<string, string>;
  platform: string | null;
  files: string[];
}

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
  return {
    timeout: Number(get('timeout') ?? 2),
    memoryLimit: Number(get('memoryLimit') ?? 512),
    buildArgs,
    platform: typeof platform === 'string' && platform.trim() !== '' ? platform.trim() : null,
    files: Array.isArray(files) && files.length > 0 ? files.map(String) : ['build.lua', '*.build.lua'],
  };
}
