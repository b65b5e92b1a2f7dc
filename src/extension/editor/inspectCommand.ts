import * as vscode from 'vscode';

let known: { at: number; has: boolean } | undefined;

/**
 * The command that opens a pair: the pair inspector (ranklens.inspectPair, args {qid, pid}) where it is
 * registered, else the Integrated Gradients panel, which takes the same arguments.
 */
export async function inspectPairCommand(): Promise<string> {
  if (!known || Date.now() - known.at > 10_000) {
    const commands = await vscode.commands.getCommands(true);
    known = { at: Date.now(), has: commands.includes('ranklens.inspectPair') };
  }
  return known.has ? 'ranklens.inspectPair' : 'ranklens.attributePair';
}
