import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSettings, errorLines, stderrLevel } from '../src/serverLog';

test('routine cancellations are not errors; tracebacks are', () => {
  assert.equal(stderrLevel('Cancel notification for unknown message id "12"'), 'debug');
  assert.equal(stderrLevel('WARNING:pygls.protocol.json_rpc:Cancel notification for unknown message id "3"'), 'debug');
  assert.equal(stderrLevel('Received response to unknown message id "7"'), 'debug');
  assert.equal(stderrLevel('WARNING:luakit_ls:worker restarted'), 'warn');
  assert.equal(stderrLevel('Traceback (most recent call last):'), 'error');
  assert.equal(stderrLevel('ConnectionResetError: [Errno 104] Connection reset by peer'), 'error');
});

test('settings on one line', () => {
  assert.equal(describeSettings({ timeout: 2, buildArgs: { NAME: 'X' } }), 'timeout=2, buildArgs={"NAME":"X"}');
});

test('errors as luakit validate prints them', () => {
  assert.deepEqual(errorLines('build.lua', [{ line: 7, character: 19, message: "unknown option 'x'", code: 'LK003' }]), [
    "build.lua:8:20: unknown option 'x' (LK003)",
  ]);
});
