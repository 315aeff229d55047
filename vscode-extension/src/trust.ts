// Workspace trust (restricted mode). Evaluating a build script runs code from the folder
// (sandboxed and time-limited, but still), and the server is found through settings the folder
// may set: in a folder the user has not trusted, nothing is evaluated and no server is started
// until the user trusts it. Plain logic, no `vscode` import, so that test/trust.test.ts runs it.

/** What the status bar item shows instead of an evaluation. */
export interface TrustStatus {
  text: string;
  tooltip: string;
  /** The command a click runs: VS Code's workspace trust editor. */
  command: string;
}

export type TrustDecision =
  /** Find and start luakit-ls. */
  | { start: true }
  /** Do not start it; show `status` (or nothing, when undefined) until the folder is trusted. */
  | { start: false; status: TrustStatus | undefined };

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

export const UNTRUSTED_STATUS: TrustStatus = {
  text: '$(shield) luakit: restricted',
  tooltip:
    'luakit: this folder is not trusted, so its build scripts are not evaluated and luakit-ls is not started. ' +
    'Click to manage workspace trust; trust the folder to start luakit-ls.',
  command: MANAGE_TRUST_COMMAND,
};

/**
 * Whether to start the server. `trusted` is `vscode.workspace.isTrusted` (always true when the
 * user turned workspace trust off); `hasBuildScripts` whether the workspace has a build script,
 * so that the status bar says why nothing happens only where something would happen (the
 * extension also activates on any Lua file). The user allows evaluation by trusting the
 * folder (VS Code then fires `onDidGrantWorkspaceTrust`, and this says start).
 */
export function trustDecision(trusted: boolean, hasBuildScripts: boolean): TrustDecision {
  if (trusted) {
    return { start: true };
  }
  return { start: false, status: hasBuildScripts ? UNTRUSTED_STATUS : undefined };
}

/** The error a command (Emit LLB, Show DAG, Validate) shows when there is no server. */
export function noServerMessage(trusted: boolean): string {
  return trusted
    ? 'luakit: the language server is not running (see the luakit output).'
    : 'luakit: this folder is not trusted, so build scripts are not evaluated. Trust it (Manage Workspace Trust) to use this command.';
}
