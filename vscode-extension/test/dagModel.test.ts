import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCommandFor, locationOf, opsAtLine, parseGraph, sourceFile, withRelativePaths } from '../src/dagModel';

// The shape `luakit dag --format json` prints (trimmed).
const graph = parseGraph(
  JSON.stringify({
    ops: [
      { digest: 'sha256:a', kind: 'source', inputs: [], location: { file: '/w/build.lua', line: 2, column: 12, end_line: 2, end_column: 30 } },
      { digest: 'sha256:b', kind: 'exec', inputs: [], location: { file: '/w/build.lua', line: 4, column: 0, end_line: 8, end_column: 1 } },
      { digest: 'sha256:c', kind: 'file', inputs: [], location: { file: '/w/build.lua', line: 6, column: 4, end_line: 6, end_column: 20 } },
      { digest: 'sha256:d', kind: 'file', inputs: [], location: { file: '/w/lib.lua', line: 6, column: 0, end_line: 6, end_column: 9 } },
      { digest: 'sha256:e', kind: 'source', inputs: [], location: null },
    ],
    export: { digest: 'sha256:b' },
  }),
);

test('the ops of a line, innermost first, in that file only', () => {
  assert.deepEqual(opsAtLine(graph, '/w/build.lua', 2), ['sha256:a']);
  assert.deepEqual(opsAtLine(graph, '/w/build.lua', 5), ['sha256:b']);
  assert.deepEqual(opsAtLine(graph, '/w/build.lua', 6), ['sha256:c']);
  assert.deepEqual(opsAtLine(graph, '/w/build.lua', 1), []);
  assert.deepEqual(opsAtLine(graph, '/w/lib.lua', 6), ['sha256:d']);
});

test('locations of ops', () => {
  assert.equal(locationOf(graph, 'sha256:c')?.line, 6);
  assert.equal(locationOf(graph, 'sha256:e'), undefined);
  assert.equal(locationOf(graph, 'sha256:zz'), undefined);
});

test('a JSON without ops is an error', () => {
  assert.throws(() => parseGraph('{"nodes": []}'), /no "ops"/);
});

test('lens commands map to the commands that show their result', () => {
  assert.equal(clientCommandFor('luakit.showDag'), 'luakit.ui.showDag');
  assert.equal(clientCommandFor('luakit.emitDefinition'), 'luakit.ui.emitLlb');
  assert.equal(clientCommandFor('luakit.build'), 'luakit.ui.build');
  assert.equal(clientCommandFor('something.else'), undefined);
});

test('labels name files relative to the script\'s directory', () => {
  const dot = '"sha256:a" [label="file\\na\\n/w/x/build.lua:4\\nmkdir /w/x/"];\n"sha256:a" -> "sha256:b";';
  assert.equal(withRelativePaths(dot, '/w/x'), '"sha256:a" [label="file\\na\\nbuild.lua:4\\nmkdir "];\n"sha256:a" -> "sha256:b";');
  assert.equal(withRelativePaths('"a\\"b/c"', 'a"b'), '"c"');
  assert.equal(withRelativePaths('x', ''), 'x');
});

test('a module location opens the module beside the script', () => {
  assert.equal(sourceFile('lib/steps.lua', '/w'), '/w/lib/steps.lua');
  assert.equal(sourceFile('/w/build.lua', '/w'), '/w/build.lua');
  assert.equal(sourceFile('untitled:Untitled-1', '/w'), 'untitled:Untitled-1');
  assert.equal(sourceFile('lib/steps.lua', ''), 'lib/steps.lua');
});
