import * as vscode from 'vscode';
import type { InspectPairOutcome } from '../commands/inspectPair';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';
import type { ReportDrillHost } from '../webviews/reportPanel';
import { whatIfOfComparison } from './comparisonWhatIf';
import { rankQueryUnder, type RankingData } from './queryRanking';

/**
 * The report's drill-down in the extension: a query re-ranked in the model's worker, and a pair opened in the
 * pair inspector (RankLens: Inspect Pair… with the comparison's what-if).
 */
export function reportDrillHost(
  models: ModelController,
  datasets: DatasetController,
  data: RankingData,
): ReportDrillHost {
  return {
    queryRanking: async (target, qid) => {
      const model = await models.model();
      return rankQueryUnder(target, qid, datasets.dataset, data, {
        numLayers: model.info.numLayers,
        encode: (query, passage) => model.encode(query, passage),
        score: async (pairs, masks) => (await model.ranker.score(pairs, { masks })).map((r) => r.score),
      });
    },
    inspectPair: async (target, qid, pid) => {
      const model = await models.model();
      const whatIf = whatIfOfComparison(target, model.info.numLayers);
      return vscode.commands.executeCommand<InspectPairOutcome | undefined>('ranklens.inspectPair', {
        qid,
        pid,
        whatIf,
        beside: true,
      });
    },
  };
}
