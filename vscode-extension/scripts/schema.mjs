// Generates src/protocol.generated.ts from luakit_ls/protocol.schema.json, the one description
// of the JSON that luakit-ls sends beyond LSP (tests/ls/test_protocol_schema.py checks the
// server against it). `--check` fails when the committed file is not what the schema gives
// (run by `npm test`), so a schema change cannot leave the extension's types behind.
import { compileFromFile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = join(root, '..', 'luakit_ls', 'protocol.schema.json');
const target = join(root, 'src', 'protocol.generated.ts');

const generated = await compileFromFile(schema, {
  bannerComment:
    '// Generated from luakit_ls/protocol.schema.json by scripts/schema.mjs (npm run schema): do not edit.',
  additionalProperties: false,
  style: { singleQuote: true, printWidth: 120 },
});

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below
  }
  if (committed !== generated) {
    console.error(`${target} is not what luakit_ls/protocol.schema.json gives: run \`npm run schema\` and commit it.`);
    process.exit(1);
  }
} else {
  writeFileSync(target, generated);
}
