import * as vscode from 'vscode';

/**
 * Commands whose feature lands with a later issue: hidden from the palette (package.json `when`), and if
 * run anyway (a keybinding, another extension) they say so instead of silently doing nothing.
 */
export const NOT_YET_AVAILABLE: Readonly<Record<string, string>> = {
  'ranklens.selectModel': 'loading Hugging Face cross-encoder checkpoints',
  'ranklens.scorePair': 'scoring a query/passage pair with the ranker',
  'ranklens.showAttention': 'the attention explorer',
  'ranklens.attributePair': 'Integrated Gradients attributions',
  'ranklens.analyzeAttention': 'the dataset-level attention analysis (Figure 1)',
  'ranklens.analyzeAttribution': 'the layer-wise Integrated Gradients analysis (Figure 2)',
  'ranklens.analyzeProbing': 'probing classifiers per layer (Figure 3)',
  'ranklens.analyzePeriodMasking': 'period masking (Table 1)',
  'ranklens.analyzeInteractionMasking': 'query/document interaction masks (Figure 4)',
};

export function registerNotYetAvailable(
  context: vscode.ExtensionContext,
  implemented: ReadonlySet<string>,
): void {
  for (const [command, feature] of Object.entries(NOT_YET_AVAILABLE)) {
    // package.json shows these in the command palette only when `ranklens.available.<name>` is true:
    // a command that does nothing yet is not offered.
    void vscode.commands.executeCommand(
      'setContext',
      `ranklens.available.${command.replace(/^ranklens\./, '')}`,
      implemented.has(command),
    );
    if (implemented.has(command)) continue;
    context.subscriptions.push(
      vscode.commands.registerCommand(command, () => {
        void vscode.window.showInformationMessage(
          `RankLens: ${feature} is not available in this version yet.`,
        );
        return { notYetAvailable: true, feature };
      }),
    );
  }
}
