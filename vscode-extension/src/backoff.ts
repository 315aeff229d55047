// When the server process dies, restart it after a growing delay, and give up when it keeps
// crashing: a server that dies on start-up (a broken install, say) must not spin forever.
// Plain logic, no `vscode` import, so that test/backoff.test.ts runs it under node.

export interface RestartPolicy {
  /** More crashes than this within `windowMs` and the server stays down. */
  maxCrashes: number;
  windowMs: number;
  /** The first restart waits this long; each further crash in the window doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_POLICY: RestartPolicy = {
  maxCrashes: 5,
  windowMs: 3 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
};

export type RestartDecision =
  | { restart: true; delayMs: number; crashes: number }
  | { restart: false; crashes: number };

/**
 * Records a crash at `now` in `crashes` (times in ms, pruned to the window, oldest first)
 * and decides what to do about it.
 */
export function onCrash(crashes: number[], now: number, policy: RestartPolicy = DEFAULT_POLICY): RestartDecision {
  crashes.push(now);
  while (crashes.length > 0 && now - crashes[0] > policy.windowMs) {
    crashes.shift();
  }
  const count = crashes.length;
  if (count > policy.maxCrashes) {
    return { restart: false, crashes: count };
  }
  const delayMs = Math.min(policy.baseDelayMs * 2 ** (count - 1), policy.maxDelayMs);
  return { restart: true, delayMs, crashes: count };
}
