import type { LitElement } from 'lit';
import type { AttentionTensor } from '../../src/protocol/attention';
import type { Endpoint } from '../../src/protocol/endpoint';
import type { InspectorProtocol, MaskTarget, WhatIfResult, WhatIfSpec } from '../../src/protocol/inspector';

export type Group = MaskTarget['group'];

/** The what-if the builder's controls describe (kept in the panel's saved state). */
export interface MaskSettings {
  kind: 'token' | 'attention';
  from: Group;
  to: Group;
  /** The first this-many layers (1..L). */
  maskLayers: number;
  /** The mask also from `to` to `from`. */
  bothWays: boolean;
  replacePeriods: boolean;
}

function target(group: Group, picked: ReadonlySet<number>): MaskTarget {
  return group === 'picked' ? { group, positions: [...picked].sort((a, b) => a - b) } : { group };
}

/** The what-if the controls would apply now. */
export function maskSpec(settings: MaskSettings, picked: ReadonlySet<number>): WhatIfSpec {
  return {
    mask: {
      kind: settings.kind,
      from: target(settings.from, picked),
      to: target(settings.to, picked),
      layers: settings.maskLayers,
      ...(settings.bothWays ? { bothWays: true } : {}),
    },
    replacePeriods: settings.replacePeriods,
  };
}

/**
 * The inspector's what-if state: the tokens picked for a mask, the what-ifs applied so far (the host keeps
 * them), the one shown beside the original with its attention map, and a what-if being run. Applying one,
 * from the builder or from the host, goes through `apply`.
 */
export class WhatIfController {
  results: WhatIfResult[] = [];
  picked = new Set<number>();
  pending = false;
  error = '';
  /** The table row (0-based over `results`) drawn beside the original; -1 for none. */
  chosen = -1;
  /** The attention map of the chosen what-if only (the host keeps or recomputes the others'). */
  chosenMap: { id: number; attention: AttentionTensor } | undefined;
  mapError = '';

  constructor(
    private readonly host: LitElement,
    private readonly endpoint: () => Endpoint<InspectorProtocol, 'view'>,
    private readonly settings: MaskSettings,
  ) {}

  /** The host's list of what-ifs changed: show the newest beside the original. */
  receive(items: WhatIfResult[]): void {
    this.results = items;
    this.choose(items.length - 1);
  }

  /** A new pair: picks belong to the previous pair's tokens. */
  forgetPicks(): void {
    this.picked = new Set();
  }

  togglePick(position: number): void {
    // A new set each time: the parts that show the picks see the change.
    this.picked = new Set(this.picked);
    if (this.picked.has(position)) this.picked.delete(position);
    else this.picked.add(position);
    // Picking tokens is for masking them: make "picked tokens" the target if no group was chosen yet.
    if (this.picked.size > 0 && this.settings.from !== 'picked' && this.settings.to !== 'picked')
      this.settings.to = 'picked';
    this.host.requestUpdate();
  }

  clearPicks(): void {
    this.picked = new Set();
    this.host.requestUpdate();
  }

  /** Runs a what-if in the host and waits for its row in the table. */
  async apply(spec: WhatIfSpec): Promise<void> {
    this.pending = true;
    this.error = '';
    this.host.requestUpdate();
    try {
      // Waits for this what-if's own row: the table may still show a previous pair's rows when the request
      // goes out (the host clears them in a notification of its own).
      const { id } = await this.endpoint().request('whatIf', spec);
      await this.until(() => this.results.some((w) => w.id === id));
      // Bring the new row and the attention maps beside the original into view.
      this.host.renderRoot.querySelector('#what-ifs tr.chosen')?.scrollIntoView({ block: 'center' });
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.pending = false;
      this.host.requestUpdate();
      await this.host.updateComplete;
    }
  }

  /** Asks the host to drop the last what-if and waits for the shorter table. */
  async undo(): Promise<void> {
    const before = this.results.length;
    this.endpoint().notify('undoWhatIf', {});
    await this.until(() => this.results.length < before);
  }

  /** Shows what-if row k beside the original, fetching its attention map from the host. */
  choose(k: number): void {
    this.chosen = k;
    this.host.requestUpdate();
    const id = this.results[k]?.id;
    if (id === undefined) {
      this.chosenMap = undefined;
      return;
    }
    if (this.chosenMap?.id === id) return;
    this.mapError = '';
    this.endpoint()
      .request('whatIfAttention', { id })
      .then(
        (attention) => {
          if (this.results[this.chosen]?.id !== id) return;
          this.chosenMap = { id, attention };
          this.host.requestUpdate();
        },
        (error: unknown) => {
          this.mapError = error instanceof Error ? error.message : String(error);
          this.host.requestUpdate();
        },
      );
  }

  /** The 1-based row whose attention map is drawn beside the original, if it has arrived. */
  mapShown(): number | undefined {
    return this.chosenMap && this.results[this.chosen]?.id === this.chosenMap.id
      ? this.chosen + 1
      : undefined;
  }

  private async until(done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await this.host.updateComplete;
  }
}
