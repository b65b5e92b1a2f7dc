import * as vscode from 'vscode';
import { BASELINES, type Baseline } from '../core/attribution';

/** A query the user is looking at: from the open dataset (qid) or typed. */
export interface ActiveQuery {
  readonly qid?: string;
  readonly text: string;
}

/** The texts of the query/passage pair the user is looking at, with its pid when it comes from the dataset. */
export interface PairTexts {
  readonly query: ActiveQuery;
  readonly pid?: string;
  readonly passage: string;
}

/** What the attribution views show: a layer 0..L (0 = embedding output) and a baseline. */
export interface AttributionView {
  readonly layer: number;
  readonly baseline: Baseline;
}

/** What the user is looking at: a query, a pair of it, and the layer and baseline attributions are shown at. */
export interface ActiveSelection {
  readonly query?: ActiveQuery;
  readonly pair?: PairTexts;
  readonly view: AttributionView;
}

/**
 * The one place that says which query, pair, layer and baseline the user is looking at. The pair
 * inspector and the Dataset view set it; hovers on collection files score against its query, editor
 * decorations colour passages at its layer and baseline, the attention explorer follows its pair.
 */
export class ActiveSelectionState implements vscode.Disposable {
  private state: ActiveSelection = { view: { layer: 0, baseline: 'empty-document' } };
  private readonly changed = new vscode.EventEmitter<ActiveSelection>();
  readonly onDidChange = this.changed.event;

  get current(): ActiveSelection {
    return this.state;
  }

  /** A new query; the active pair is kept only if it is a pair of that query. */
  setQuery(query: ActiveQuery): void {
    const pair = this.state.pair;
    const samePair = pair && sameQuery(pair.query, query) ? pair : undefined;
    this.update({ query, pair: samePair });
  }

  /** A pair; its query becomes the active query. */
  setPair(pair: PairTexts): void {
    this.update({ query: pair.query, pair });
  }

  setView(view: Partial<AttributionView>): void {
    const next = { ...this.state.view, ...view };
    if (!Number.isInteger(next.layer) || next.layer < 0)
      throw new Error(`layer ${next.layer} must be 0 or more`);
    if (!BASELINES.includes(next.baseline)) throw new Error(`unknown baseline ${String(next.baseline)}`);
    this.update({ view: next });
  }

  private update(change: Partial<ActiveSelection>): void {
    this.state = { ...this.state, ...change };
    this.changed.fire(this.state);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function sameQuery(a: ActiveQuery, b: ActiveQuery): boolean {
  return a.qid !== undefined || b.qid !== undefined ? a.qid === b.qid : a.text === b.text;
}
