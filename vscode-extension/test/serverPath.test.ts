import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Discovery, expandConfigured, findServer, installCommand, isLuakitProject } from '../src/serverPath';

const base: Discovery = { configured: '', pathEnv: '/usr/bin:/opt/x/bin', folders: ['/ws'], home: '/home/me', platform: 'linux' };
const only = (...files: string[]) => (file: string) => files.includes(file);

test('the setting wins, with ~ and ${workspaceFolder} expanded', () => {
  assert.deepEqual(findServer({ ...base, configured: '~/bin/luakit-ls' }, only('/home/me/bin/luakit-ls', '/usr/bin/luakit-ls')), {
    found: true,
    path: '/home/me/bin/luakit-ls',
    how: 'the luakit.server.path setting',
  });
  assert.equal(expandConfigured('${workspaceFolder}/env/bin/luakit-ls', ['/ws'], '/h'), '/ws/env/bin/luakit-ls');
  assert.equal(expandConfigured('tools/luakit-ls', ['/ws'], '/h'), '/ws/tools/luakit-ls');
});

test('a setting that points nowhere is reported, not worked around', () => {
  const result = findServer({ ...base, configured: '/nope/luakit-ls' }, only('/usr/bin/luakit-ls'));
  assert.equal(result.found, false);
  assert.match(!result.found ? result.problem : '', /luakit\.server\.path.*\/nope\/luakit-ls/);
});

test('PATH, then the workspace venv, then the Python interpreter', () => {
  assert.equal(findServer(base, only('/opt/x/bin/luakit-ls', '/ws/.venv/bin/luakit-ls')).found && 'path', 'path');
  const venv = findServer(base, only('/ws/venv/bin/luakit-ls'));
  assert.deepEqual(venv, { found: true, path: '/ws/venv/bin/luakit-ls', how: "the workspace's venv" });
  const python = findServer({ ...base, pythonInterpreter: '/envs/a/bin/python' }, only('/envs/a/bin/luakit-ls'));
  assert.deepEqual(python, { found: true, path: '/envs/a/bin/luakit-ls', how: "the Python extension's interpreter" });
});

test('Windows names and separators', () => {
  const found = findServer({ ...base, platform: 'win32', pathEnv: 'C:\\a;C:\\b' }, (f) => f.endsWith('luakit-ls.exe') && f.includes('b'));
  assert.equal(found.found, true);
});

test('not found says what is missing', () => {
  const result = findServer(base, only());
  assert.equal(result.found, false);
  assert.match(!result.found ? result.problem : '', /luakit-ls .*not found/);
});

test('the install command installs luakit from a clone, quoted', () => {
  assert.equal(installCommand('/src/my luakit', 'python3', true), 'python3 -m pip install -e "/src/my luakit"');
  assert.equal(installCommand('/a"b$c', '/v/bin/python', false), '/v/bin/python -m pip install "/a\\"b\\$c"');
  assert.equal(isLuakitProject('[project]\nname = "luakit"\nversion = "0.1.0"\n'), true);
  assert.equal(isLuakitProject('[project]\nname = "luakit-extras"\n'), false);
});
