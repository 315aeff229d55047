// What the luakit output channel says about the server, as plain functions (unit-tested): the
// level of each line the server writes to stderr, and one-line summaries of the settings sent
// and of an evaluation's errors.

export type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * Routine protocol traffic that pygls logs as warnings on stderr: a request that finished before
 * VS Code's cancellation of it arrived (VS Code cancels hovers, lenses and hints as you type).
 */
const ROUTINE = [/^Cancel notification for unknown message id/, /^Received response to unknown message id/];

/**
 * The level of a line of the server's stderr. The language client logs every such line as an
 * error; only the routine ones are demoted (to debug, hidden at the default Info level) and the
 * ones Python's logging marks as warnings shown as such. The rest (a traceback, a crash) stays an
 * error.
 */
export function stderrLevel(line: string): Level {
  const text = line.replace(/^(WARNING|INFO|DEBUG):[\w.]*:/, '');
  if (ROUTINE.some((pattern) => pattern.test(text))) {
    return 'debug';
  }
  if (line.startsWith('WARNING:')) {
    return 'warn';
  }
  if (line.startsWith('INFO:') || line.startsWith('DEBUG:')) {
    return 'info';
  }
  return 'error';
}

/** The settings as the server receives them (initializationOptions / didChangeConfiguration), on one line. */
export function describeSettings(settings: object): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(', ');
}

export interface Problem {
  line: number; // 0-based, as LSP has it
  character: number;
  message: string;
  code?: string | number;
}

/** An evaluation's errors as `name:line:col: message (code)` lines, as `luakit validate` prints them. */
export function errorLines(name: string, problems: Problem[]): string[] {
  return problems.map(
    (p) => `${name}:${p.line + 1}:${p.character + 1}: ${p.message}${p.code !== undefined ? ` (${String(p.code)})` : ''}`,
  );
}
