// The status bar item's text for the last evaluation of the active build script (plain, tested).

import type { Evaluated } from './protocol.generated';

export type { Evaluated };

export interface StatusView {
  text: string;
  tooltip: string;
  hasErrors: boolean;
}

export function duration(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function statusView(e: Evaluated): StatusView {
  const took = duration(e.seconds);
  if (e.errors > 0) {
    return {
      text: `$(error) luakit ${plural(e.errors, 'error')}`,
      tooltip: `luakit: the last evaluation (${took}) found ${plural(e.errors, 'error')}. Click for the Problems panel.`,
      hasErrors: true,
    };
  }
  return {
    text: `$(check) luakit ${took} · ${plural(e.ops, 'op')}`,
    tooltip: `luakit: evaluated in ${took}, ${plural(e.ops, 'op')} in the build graph. Click for the server log.`,
    hasErrors: false,
  };
}
