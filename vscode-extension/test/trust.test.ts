import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MANAGE_TRUST_COMMAND, noServerMessage, trustDecision, UNTRUSTED_STATUS } from '../src/trust';

test('a trusted folder starts the server', () => {
  assert.deepEqual(trustDecision(true, true), { start: true });
  assert.deepEqual(trustDecision(true, false), { start: true });
});

test('an untrusted folder with build scripts does not, and the status bar says why', () => {
  const decision = trustDecision(false, true);
  assert.equal(decision.start, false);
  assert.ok(!decision.start && decision.status);
  assert.equal(decision.status, UNTRUSTED_STATUS);
  assert.match(decision.status.text, /^\$\(shield\) luakit/);
  assert.match(decision.status.tooltip, /not trusted/);
  assert.match(decision.status.tooltip, /not evaluated/);
  assert.equal(decision.status.command, MANAGE_TRUST_COMMAND);
});

test('an untrusted plain Lua project gets no status item at all', () => {
  assert.deepEqual(trustDecision(false, false), { start: false, status: undefined });
});

test('commands say what to do when there is no server', () => {
  assert.match(noServerMessage(false), /not trusted/);
  assert.match(noServerMessage(false), /Trust/);
  assert.match(noServerMessage(true), /not running/);
});
