import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReport } from '../src/build';

test('a built script: the time, and the exporter response in the log', () => {
  const report = buildReport('build.lua', { status: 'built', seconds: 2.34, exporterResponse: { 'containerimage.digest': 'sha256:ab' } });
  assert.deepEqual(report, {
    level: 'info',
    text: 'luakit: built build.lua in 2.3s',
    log: ['Build build.lua: built in 2.3s', '  containerimage.digest: sha256:ab'],
  });
});

test('a failed step: its line, and its output in the log', () => {
  const message = 'build.lua:4:14: run failed: /bin/sh -c make: exit code 2';
  const report = buildReport('build.lua', { status: 'failed', message, log: ['boom'] });
  assert.equal(report.level, 'error');
  assert.equal(report.text, `luakit: ${message}`);
  assert.deepEqual(report.log, [`Build build.lua: ${message}`, '  | boom']);
});

test('cancelled', () => {
  assert.equal(buildReport('build.lua', { status: 'cancelled' }).level, 'warning');
});
