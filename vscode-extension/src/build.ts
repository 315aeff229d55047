// What `luakit: Build` says about the server's answer (docs/editors.md, `luakit.build`): a line for
// the notification, the lines for the output channel. The failed step itself reaches the Problems
// panel as the server's LK010 diagnostic.
import type { BuildAnswer } from './protocol.generated';

export interface BuildReport {
  level: 'info' | 'warning' | 'error';
  text: string; // the notification
  log: string[]; // the output channel
}

export function buildReport(name: string, answer: BuildAnswer): BuildReport {
  if (answer.status === 'built') {
    const seconds = (answer.seconds ?? 0).toFixed(1);
    const exported = Object.entries(answer.exporterResponse ?? {}).map(([k, v]) => `  ${k}: ${v}`);
    return { level: 'info', text: `luakit: built ${name} in ${seconds}s`, log: [`Build ${name}: built in ${seconds}s`, ...exported] };
  }
  if (answer.status === 'cancelled') {
    return { level: 'warning', text: `luakit: build of ${name} cancelled`, log: [`Build ${name}: cancelled`] };
  }
  const message = answer.message ?? 'the build failed';
  return {
    level: 'error',
    text: `luakit: ${message}`,
    log: [`Build ${name}: ${message}`, ...(answer.log ?? []).map((line) => `  | ${line}`)],
  };
}
