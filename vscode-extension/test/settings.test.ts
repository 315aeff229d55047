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
    buildkitHost: null,
    buildOutput: null,
  });
});

test('the build settings: a daemon address, an export', () => {
  const values: Record<string, unknown> = {
    buildkitHost: ' tcp://buildkit:1234 ',
    buildOutput: { type: 'image', name: 'registry.example/app:1', push: true },
  };
  const settings = serverSettings((k) => values[k]);
  assert.equal(settings.buildkitHost, 'tcp://buildkit:1234');
  assert.deepEqual(settings.buildOutput, { type: 'image', name: 'registry.example/app:1', push: true });
  assert.deepEqual(serverSettings((k) => ({ buildOutput: { type: 'local', dest: 'out' } })[k]).buildOutput, { type: 'local', dest: 'out' });
  assert.equal(serverSettings((k) => ({ buildOutput: { type: 'tar' }, buildkitHost: '' })[k]).buildOutput, null);
});

test('defaults: empty platform is none, empty globs are the defaults', () => {
  const values: Record<string, unknown> = { platform: '', files: [] };
  const settings = serverSettings((k) => values[k]);
  assert.equal(settings.platform, null);
  assert.deepEqual(settings.files, ['build.lua', '*.build.lua']);
  assert.equal(settings.timeout, 2);
});
