import * as vscode from 'vscode';
import { BUNDLED_MODEL_NAME } from '../core/model/bundled';

/**
 * In Restricted Mode VS Code drops a workspace's values of the settings package.json lists in
 * capabilities.untrustedWorkspaces.restrictedConfigurations before any extension sees them (inspect() does not
 * show them either), so RankLens cannot tell whether the workspace set one. Say in the log what applies.
 */
export function logRestrictedMode(log: vscode.OutputChannel): void {
  if (vscode.workspace.isTrusted) return;
  log.appendLine(
    'Restricted Mode: a workspace value of ranklens.model.path or ranklens.model.threads is not used until you trust this workspace; the model comes from your user settings or the bundled ' +
      BUNDLED_MODEL_NAME +
      '.',
  );
}
