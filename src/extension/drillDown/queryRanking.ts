// One query of a drill-down, ranked by the model before and after a comparison's change, the way the analysis
// ranked it: the run's top `depth` candidates, grades from the qrels, ties broken as trec_eval does.
// No vscode import: unit-tested with a stand-in scorer.
import { periodsToCommas } from '../../core/analysis/periodMask';
import { rankByScore } from '../../core/analysis/ranking';
import type { Dataset } from '../../core/data';
import type { DrillTarget } from '../../core/report/drillDown';
import type { MaskSpec } from '../../core/runtime/types';
import type { EncodedPair } from '../../core/text/types';
import type { QueryRanking } from '../../protocol/report';
import { describeWhatIf, maskSpecsFor } from '../inspector/whatIf';
import { changesOnlyRelevant, whatIfOfComparison } from './comparisonWhatIf';

/** What the ranking needs of a model (LoadedModel gives it). */
export interface RankingModel {
  readonly numLayers: number;
  encode(query: string, passage: string): EncodedPair;
  score(pairs: readonly EncodedPair[], masks: readonly MaskSpec[]): Promise<number[]>;
}

/** How the analysis drew its pairs (its result file says). */
export interface RankingData {
  readonly depth: number;
  readonly minRelevance: number;
  /** Base names of the files the analysis read (result.data.files): the same run and qrels are used here. */
  readonly files?: Readonly<Record<string, string>>;
}

const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;

function pick<T extends { readonly file: string }>(
  list: readonly T[],
  name: string | undefined,
  has: (item: T) => boolean,
): T | undefined {
  const holding = list.filter(has);
  return holding.find((item) => name !== undefined && baseName(item.file) === name) ?? holding[0];
}

export async function rankQueryUnder(
  target: DrillTarget,
  qid: string,
  dataset: Dataset | undefined,
  data: RankingData,
  model: RankingModel,
): Promise<QueryRanking> {
  const spec = whatIfOfComparison(target, model.numLayers);
  if (!dataset)
    throw new Error('no dataset is open: open the dataset the analysis ran on to see its queries');
  const query = dataset.queries.find((q) => q.texts.has(qid))?.texts.get(qid);
  if (query === undefined) throw new Error(`query ${qid} is in none of the open dataset's queries files`);
  const run = pick(dataset.runs, data.files?.run, (r) => r.rankings.has(qid));
  if (!run) throw new Error(`no open run ranks query ${qid}`);
  const qrels = pick(dataset.qrels, data.files?.qrels, (q) => q.judgements.has(qid));
  const judged = qrels?.judgements.get(qid);
  const ranked = (run.rankings.get(qid) ?? []).slice(0, data.depth);
  if (!dataset.collection) throw new Error('the open dataset has no collection (passage texts)');
  const found = await dataset.collection.getMany(ranked.map((c) => c.pid));
  const pids = ranked.flatMap((c, i) => (found[i] ? [c.pid] : []));
  const texts = found.flatMap((p) => (p ? [p.text] : []));
  const grades = pids.map((pid) => judged?.get(pid) ?? 0);
  const pairs = texts.map((text) => model.encode(query, text));
  const changed = pids.map((_, i) => !changesOnlyRelevant(target) || grades[i] >= data.minRelevance);
  const before = await model.score(pairs, []);
  const which = pairs.flatMap((_, i) => (changed[i] ? [i] : []));
  const commaOf = () => {
    const comma = model.encode('', ',').tokens.find((t) => t.text === ',');
    if (!comma) throw new Error('the model\'s vocabulary has no "," token to replace periods with');
    return comma.id;
  };
  const commaId = spec.replacePeriods ? commaOf() : 0;
  const modified = which.map((i) => (spec.replacePeriods ? periodsToCommas(pairs[i], commaId) : pairs[i]));
  const changedScores = modified.length
    ? await model.score(modified, maskSpecsFor(spec, model.numLayers))
    : [];
  const after = [...before];
  which.forEach((i, k) => (after[i] = changedScores[k]));
  const list = (scores: readonly number[]) =>
    rankByScore(pids, scores).map((c) => {
      const i = pids.indexOf(c.pid);
      return { pid: c.pid, rank: c.rank, score: scores[i], grade: grades[i], changed: changed[i] };
    });
  return {
    qid,
    query,
    change: describeWhatIf(spec, model.numLayers),
    minRelevance: data.minRelevance,
    before: list(before),
    after: list(after),
  };
}
