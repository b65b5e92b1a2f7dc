import * as vscode from 'vscode';
import type { ActiveSelectionState } from '../activeSelection';
import type { DatasetController } from '../datasetController';
import type { ExplorerPairController } from '../inspector/explorerPair';
import { PairSession } from '../inspector/pairSession';
import { whatIfSpec } from '../../protocol/inspector';
import type { ModelController } from '../modelController';
import { InspectorPanel, type InspectorOpening } from '../webviews/inspectorPanel';
import { pickPair, resolvePairArgs, type ScorePairArgs } from './modelCommands';

/**
 * Arguments of "RankLens: Inspect Pair…": ids from the open dataset, or texts. A Dataset-view passage row
 * and a CodeLens pass {qid, pid} the same way.
 */
export type InspectPairArgs = ScorePairArgs;

export interface InspectPairOutcome {
  readonly session: PairSession;
  readonly inspector: InspectorPanel;
}

/**
 * How the pair is opened when a report's drill-down opens it: with its comparison's what-if applied, beside the
 * report.
 */
function openingFrom(value: unknown): InspectorOpening {
  const given = value as { whatIf?: unknown; beside?: unknown } | null | undefined;
  return {
    ...(given?.whatIf !== undefined ? { whatIf: whatIfSpec(given.whatIf, 'whatIf') } : {}),
    ...(given?.beside === true ? { beside: true } : {}),
  };
}

/** Accepts what a command can be called with: ids, texts, or a tree row carrying qid and pid. */
export function pairArgsFrom(value: unknown): InspectPairArgs | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.query === 'string' && typeof v.passage === 'string')
    return { query: v.query, passage: v.passage };
  if (typeof v.qid === 'string' && typeof v.pid === 'string') return { qid: v.qid, pid: v.pid };
  return undefined;
}

export async function inspectPairCommand(
  models: ModelController,
  datasets: DatasetController,
  active: ExplorerPairController,
  extensionUri: vscode.Uri,
  log: vscode.OutputChannel,
  editorState: ActiveSelectionState,
  args?: unknown,
): Promise<InspectPairOutcome | undefined> {
  const given = pairArgsFrom(args);
  if (args !== undefined && !given)
    throw new Error('Inspect Pair takes {qid, pid} from the open dataset or {query, passage} texts');
  const pair = given ? await resolvePairArgs(datasets.dataset, given) : await pickPair(datasets.dataset);
  if (!pair) return undefined;
  const model = await models.model();
  const session = new PairSession(model, datasets.dataset, pair);
  const inspector = await InspectorPanel.show(
    extensionUri,
    session,
    active,
    log,
    editorState,
    openingFrom(args),
  );
  return { session, inspector };
}
