// Bundles the extension (node, `vscode` external) and the DAG webview script (browser, with
// Graphviz's WebAssembly inlined by @viz-js/viz), and copies the API stubs from the repository's
// types/ into the package, so they exist once in git.
import { build } from 'esbuild';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.env.LUAKIT_DEV !== '1';

rmSync(join(root, 'out'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src/extension.ts')],
  outfile: join(root, 'out/extension.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: production,
  sourcemap: !production,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'src/webview/dag.ts')],
  outfile: join(root, 'out/dag.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: production,
  logLevel: 'warning',
});

const stubs = join(root, '..', 'types');
if (!existsSync(join(stubs, 'bk.lua'))) {
  throw new Error(`${stubs}/bk.lua is missing: the extension is built from a luakit clone`);
}
rmSync(join(root, 'types'), { recursive: true, force: true });
cpSync(stubs, join(root, 'types'), { recursive: true });
