import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttributedToken, Baseline } from '../../core/attribution';
import { ModelPairCache } from '../../core/analysis/pairCache';
import { queryText, type Dataset } from '../../core/data';
import type { DatasetController } from '../datasetController';
import type { LoadedModel, ModelController } from '../modelController';

/** A pair to look at: ids where the dataset has them (keys of the caches), texts always. */
export interface PairRef {
  readonly qid?: string;
  readonly pid?: string;
  readonly query: string;
  readonly passage: string;
}

export interface PairRank {
  /** 1-based, by the model's score, among `of` candidates. */
  readonly rank: number;
  readonly of: number;
  /** Where the candidates came from (a run file's name, or "judged passages"). */
  readonly source: string;
}

/** One layer's attributions of a pair against one baseline, with the tokens they belong to. */
export interface PairAttribution {
  readonly layer: number;
  readonly baseline: Baseline;
  readonly tokens: readonly AttributedToken[];
  readonly attributions: readonly number[];
  readonly completenessError: number;
  readonly converged: boolean;
}

/** The candidates a rank is taken among: the run's top of a query (the Dataset view lists as many). */
export const RANKED_CANDIDATES = 100;

/**
 * Scores, ranks and attributions of pairs for the editor surfaces (hovers, decorations, passage
 * documents), computed in the model's worker on demand and cached per (model fingerprint, qid, pid);
 * the caches follow the model (a new model drops them). Every call takes an AbortSignal.
 */
export class PairInsights implements vscode.Disposable {
  private readonly scores = new ModelPairCache<number>(50_000);
  private readonly attributions = new ModelPairCache<PairAttribution>(500);
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly models: ModelController,
    private readonly datasets: DatasetController,
  ) {
    this.subscription = models.onDidChange((model) => this.useModel(model));
  }

  private useModel(model: LoadedModel): void {
    this.scores.useModel(model.info.fingerprint);
    this.attributions.useModel(model.info.fingerprint);
  }

  private async model(): Promise<LoadedModel> {
    const model = await this.models.model();
    this.useModel(model);
    return model;
  }

  /** The score if it is cached (no model call). */
  cachedScore(pair: PairRef): number | undefined {
    const fingerprint = this.models.loadedFingerprint;
    return fingerprint ? this.scores.get(fingerprint, ...keys(pair)) : undefined;
  }

  async score(pair: PairRef, signal?: AbortSignal): Promise<number> {
    const model = await this.model();
    return this.scores.getOrCompute(
      model.info.fingerprint,
      ...keys(pair),
      async (s) =>
        (await model.ranker.score([model.encode(pair.query, pair.passage)], { signal: s }))[0].score,
      { signal },
    );
  }

  /**
   * The pair's rank by the model's score among its query's candidates: the top RANKED_CANDIDATES of
   * `runFile` (or of the first run that ranks the query), else the query's judged passages. The pair is
   * always among them. Candidates not yet scored are scored in one batch; undefined without a dataset.
   */
  async rank(
    pair: PairRef,
    runFile: string | undefined,
    signal?: AbortSignal,
  ): Promise<PairRank | undefined> {
    const dataset = this.datasets.dataset;
    if (!dataset || pair.qid === undefined || pair.pid === undefined || !dataset.collection) return undefined;
    const { pids, source } = candidatesOf(dataset, pair.qid, runFile);
    if (!pids.includes(pair.pid)) pids.push(pair.pid);
    const model = await this.model();
    const fingerprint = model.info.fingerprint;
    const qid = pair.qid;
    const missing = pids.filter((pid) => this.scores.get(fingerprint, qid, pid) === undefined);
    if (missing.length > 0) {
      const texts = await dataset.collection.getMany(missing);
      const known = missing.flatMap((pid, i) => {
        const text = pid === pair.pid ? pair.passage : texts[i]?.text;
        return text === undefined ? [] : [{ pid, text }];
      });
      const results = await model.ranker.score(
        known.map((k) => model.encode(pair.query, k.text)),
        { signal },
      );
      known.forEach((k, i) => this.scores.set(fingerprint, qid, k.pid, results[i].score));
    }
    const scored = pids.flatMap((pid) => {
      const s = this.scores.get(fingerprint, qid, pid);
      return s === undefined ? [] : [s];
    });
    const own = this.scores.get(fingerprint, qid, pair.pid);
    if (own === undefined) return undefined;
    return { rank: 1 + scored.filter((s) => s > own).length, of: scored.length, source };
  }

  /** The rank if every candidate's score is cached (no model call). */
  cachedRank(pair: PairRef, runFile: string | undefined): PairRank | undefined {
    const dataset = this.datasets.dataset;
    const fingerprint = this.models.loadedFingerprint;
    if (!dataset || !fingerprint || pair.qid === undefined || pair.pid === undefined) return undefined;
    const { pids, source } = candidatesOf(dataset, pair.qid, runFile);
    if (!pids.includes(pair.pid)) pids.push(pair.pid);
    const scores = pids.map((pid) => this.scores.get(fingerprint, pair.qid!, pid));
    const own = this.scores.get(fingerprint, pair.qid, pair.pid);
    if (own === undefined || scores.some((s) => s === undefined)) return undefined;
    return { rank: 1 + scores.filter((s) => s! > own).length, of: scores.length, source };
  }

  /** Layer-wise IG of the pair at one layer and baseline (the worker integrates just that). */
  async attribution(
    pair: PairRef,
    view: { readonly layer: number; readonly baseline: Baseline },
    signal?: AbortSignal,
  ): Promise<PairAttribution> {
    const model = await this.model();
    const layer = Math.min(view.layer, model.info.numLayers);
    return this.attributions.getOrCompute(
      model.info.fingerprint,
      ...keys(pair),
      async (s) => {
        const result = await model.ranker.attribute(model.encode(pair.query, pair.passage), {
          layers: [layer],
          baselines: [view.baseline],
          signal: s,
        });
        const [entry] = result.layers;
        return {
          layer,
          baseline: view.baseline,
          tokens: result.tokens,
          attributions: entry.attributions,
          completenessError: entry.completenessError,
          converged: entry.converged,
        };
      },
      { signal, variant: `${layer}/${view.baseline}` },
    );
  }

  dispose(): void {
    this.subscription.dispose();
    this.scores.clear();
    this.attributions.clear();
  }
}

/** Cache keys: the dataset's ids, or the texts themselves for typed pairs. */
function keys(pair: PairRef): [string, string] {
  return [pair.qid ?? `text:${pair.query}`, pair.pid ?? `text:${pair.passage}`];
}

function candidatesOf(
  dataset: Dataset,
  qid: string,
  runFile: string | undefined,
): { pids: string[]; source: string } {
  const run =
    dataset.runs.find((r) => r.file === runFile && r.rankings.has(qid)) ??
    dataset.runs.find((r) => r.rankings.has(qid));
  if (run) {
    const ranking = run.rankings.get(qid) ?? [];
    return {
      pids: ranking.slice(0, RANKED_CANDIDATES).map((c) => c.pid),
      source: `top ${Math.min(RANKED_CANDIDATES, ranking.length)} of ${path.basename(run.file)}`,
    };
  }
  const judged = new Set<string>();
  for (const q of dataset.qrels) for (const pid of q.judgements.get(qid)?.keys() ?? []) judged.add(pid);
  return { pids: [...judged], source: 'judged passages' };
}

/** The query text of a qid in the open dataset. */
export function datasetQuery(datasets: DatasetController, qid: string): string | undefined {
  const dataset = datasets.dataset;
  return dataset ? queryText(dataset, qid) : undefined;
}
