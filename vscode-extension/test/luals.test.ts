import assert from 'node:assert/strict';
import { test } from 'node:test';
import { libraryWithStubs, withoutDuplicates } from '../src/luals';

const stubs = '/home/me/.vscode/extensions/luakit.luakit-0.2.0/types';

test('the stubs are added once, keeping the user\'s entries', () => {
  assert.deepEqual(libraryWithStubs(undefined, stubs), [stubs]);
  assert.deepEqual(libraryWithStubs(['/my/lib'], stubs), ['/my/lib', stubs]);
  assert.equal(libraryWithStubs(['/my/lib', stubs], stubs), undefined);
});

test('an older version\'s stubs are replaced', () => {
  const old = '/home/me/.vscode/extensions/luakit.luakit-0.1.0/types';
  assert.deepEqual(libraryWithStubs([old, '/my/lib'], stubs), ['/my/lib', stubs]);
});

test('LK001 is dropped only when LuaLS is active, and only ours', () => {
  const diagnostics = [
    { source: 'luakit', code: 'LK001', message: 'syntax' },
    { source: 'luakit', code: { value: 'LK001' }, message: 'syntax (code object)' },
    { source: 'luakit', code: 'LK003', message: 'misuse' },
    { source: 'Lua Syntax Check.', code: 'miss-symbol', message: 'theirs' },
  ];
  assert.equal(withoutDuplicates(diagnostics, false).length, 4);
  assert.deepEqual(
    withoutDuplicates(diagnostics, true).map((d) => d.message),
    ['misuse', 'theirs'],
  );
});
