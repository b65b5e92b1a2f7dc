import * as vscode from 'vscode';
import type { InspectResult } from '../../core/runtime/types';
import type { PairSession } from './pairSession';

/** A pair with its forward pass: what the attention explorer shows. */
export interface ActivePair {
  readonly session: PairSession;
  readonly result: InspectResult;
  /** Where it came from: the inspector, or the selected row of the Dataset view. */
  readonly source: 'inspector' | 'dataset view';
}

/** The pair the user is looking at now; the attention explorer follows it. */
export class ActivePairController implements vscode.Disposable {
  private current: ActivePair | undefined;
  private readonly changed = new vscode.EventEmitter<ActivePair>();
  readonly onDidChange = this.changed.event;

  get active(): ActivePair | undefined {
    return this.current;
  }

  set(pair: ActivePair): void {
    this.current = pair;
    this.changed.fire(pair);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
