// Living next to LuaLS (the `sumneko.lua` extension): it keeps doing plain Lua, and luakit adds
// its API stubs to LuaLS's library so that `bk.` is known there too. Plain logic, unit-tested.

export const LUALS_EXTENSION = 'sumneko.lua';

// How our stubs directory looks inside an installed extension, any version: `.../luakit.luakit-0.1.0/types`.
const OUR_STUBS = /[\\/]luakit\.luakit-[^\\/]+[\\/]types[\\/]?$/;

/**
 * `Lua.workspace.library` with `stubsDir` in it and the stubs of other versions of this
 * extension taken out (an upgrade moves the directory), or undefined when nothing changes.
 */
export function libraryWithStubs(current: unknown, stubsDir: string): string[] | undefined {
  const entries = Array.isArray(current) ? current.filter((e): e is string => typeof e === 'string') : [];
  const kept = entries.filter((e) => e === stubsDir || !OUR_STUBS.test(e));
  if (!kept.includes(stubsDir)) {
    kept.push(stubsDir);
  }
  const same = kept.length === entries.length && kept.every((e, i) => e === entries[i]);
  return same && Array.isArray(current) ? undefined : kept;
}

export interface DiagnosticLike {
  source?: string;
  code?: string | number | { value: string | number };
}

export const SYNTAX_ERROR_CODE = 'LK001';

/**
 * The diagnostics to show for a document. When LuaLS is active it reports Lua syntax errors
 * itself, as you type and with error recovery (all of them, where Lua's compiler, which our
 * LK001 comes from, stops at the first); a syntax error stops the evaluation, so luakit has
 * nothing more to say about it, and ours would only be a duplicate.
 */
export function withoutDuplicates<T extends DiagnosticLike>(diagnostics: T[], luaLsActive: boolean): T[] {
  if (!luaLsActive) {
    return diagnostics;
  }
  return diagnostics.filter((d) => !(d.source === 'luakit' && codeOf(d) === SYNTAX_ERROR_CODE));
}

function codeOf(d: DiagnosticLike): string | undefined {
  if (d.code === undefined) {
    return undefined;
  }
  return String(typeof d.code === 'object' ? d.code.value : d.code);
}
