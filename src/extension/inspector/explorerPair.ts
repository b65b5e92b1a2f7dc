import * as vscode from 'vscode';
import type { InspectResult } from '../../core/runtime/types';
import type { PairSession } from './pairSession';

/** A pair with its forward pass: what the attention explorer shows. */
export interface PairForwardPass {
  readonly session: PairSession;
  readonly result: InspectResult;
  /** Where it came from: the inspector, or the selected row of the Dataset view. */
  readonly source: 'inspector' | 'dataset view';
}

/** Holds the pair (with its forward pass) the user is looking at now; the attention explorer follows it. */
export class ExplorerPairController implements vscode.Disposable {
  private current: PairForwardPass | undefined;
  private readonly changed = new vscode.EventEmitter<PairForwardPass>();
  readonly onDidChange = this.changed.event;

  get active(): PairForwardPass | undefined {
    return this.current;
  }

  set(pair: PairForwardPass): void {
    this.current = pair;
    this.changed.fire(pair);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
