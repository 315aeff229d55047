import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration, statusView } from '../src/status';

test('durations', () => {
  assert.equal(duration(0.0123), '12 ms');
  assert.equal(duration(2.345), '2.3 s');
});

test('a good evaluation shows time and op count', () => {
  const view = statusView({ uri: 'file:///b.lua', version: 1, seconds: 0.012, ops: 42, errors: 0 });
  assert.equal(view.text, '$(check) luakit 12 ms · 42 ops');
  assert.equal(view.hasErrors, false);
  assert.equal(statusView({ uri: 'u', version: 1, seconds: 0.5, ops: 1, errors: 0 }).text, '$(check) luakit 500 ms · 1 op');
});

test('errors win', () => {
  const view = statusView({ uri: 'file:///b.lua', version: 1, seconds: 0.01, ops: 0, errors: 2 });
  assert.equal(view.text, '$(error) luakit 2 errors');
  assert.equal(view.hasErrors, true);
  assert.match(view.tooltip, /Problems/);
});
