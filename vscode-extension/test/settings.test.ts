import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverSettings } from '../src/settings';

test('settings as the server reads them', () => {
  const values: Record<string, unknown> = { timeout: 5, memoryLimit: 256, buildArgs: { V: 1 }, platform: ' linux/arm64 ', files: ['x.lua'] };
  assert.deepEqual(serverSettings((k) => values[k]), {
    timeout: 5,
    memoryLimit: 256,
    buildArgs: { V: '1' },
    platform: 'linux/arm64',
    files: ['x.lua'],
  });
});

test('defaults: empty platform is none, empty globs are the defaults', () => {
  const values: Record<string, unknown> = { platform: '', files: [] };
  const settings = serverSettings((k) => values[k]);
  assert.equal(settings.platform, null);
  assert.deepEqual(settings.files, ['build.lua', '*.build.lua']);
  assert.equal(settings.timeout, 2);
});
