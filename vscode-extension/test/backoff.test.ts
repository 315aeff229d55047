import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onCrash, type RestartPolicy } from '../src/backoff';

const policy: RestartPolicy = { maxCrashes: 3, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 1500 };

test('delays double with each crash, capped', () => {
  const crashes: number[] = [];
  assert.deepEqual(onCrash(crashes, 0, policy), { restart: true, delayMs: 500, crashes: 1 });
  assert.deepEqual(onCrash(crashes, 1000, policy), { restart: true, delayMs: 1000, crashes: 2 });
  assert.deepEqual(onCrash(crashes, 2000, policy), { restart: true, delayMs: 1500, crashes: 3 });
});

test('gives up after too many crashes within the window', () => {
  const crashes: number[] = [];
  for (let i = 0; i < 3; i++) {
    onCrash(crashes, i * 1000, policy);
  }
  assert.deepEqual(onCrash(crashes, 4000, policy), { restart: false, crashes: 4 });
});

test('crashes older than the window are forgotten', () => {
  const crashes: number[] = [0, 1000, 2000];
  const decision = onCrash(crashes, 2000 + 60_001, policy);
  assert.deepEqual(decision, { restart: true, delayMs: 500, crashes: 1 });
  assert.deepEqual(crashes, [62_001]);
});

test('the default policy (README): restarts after each of 5 crashes in 3 minutes, not after the 6th', () => {
  const crashes: number[] = [];
  const delays = [];
  for (let i = 0; i < 5; i++) {
    const decision = onCrash(crashes, i * 10_000);
    assert.equal(decision.restart, true, `crash ${i + 1}`);
    delays.push(decision.restart ? decision.delayMs : -1);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000]);
  assert.deepEqual(onCrash(crashes, 50_000), { restart: false, crashes: 6 });
  // Spread over more than 3 minutes, crashes never add up to that.
  const spread: number[] = [];
  for (let i = 0; i < 10; i++) {
    assert.equal(onCrash(spread, i * 61_000).restart, true, `spread crash ${i + 1}`);
  }
});
