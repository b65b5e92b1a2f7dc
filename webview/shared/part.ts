import { LitElement } from 'lit';

/**
 * A piece of a panel (a picker, a canvas, a table) with one job: it takes what it shows as properties and
 * says what the user did through events (`emit`), and the panel's root element keeps the state.
 *
 * A part renders into the panel's shadow root, not a shadow root of its own, and adds no box of its own
 * (display: contents): its markup lays out and is styled as if the panel had written it, and the panel's
 * ids and classes stay where the tests and the panel's styles look for them.
 */
export abstract class RankLensPart extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.style.display = 'contents';
  }

  /**
   * Tells the element's owner what the user did: listen with @name on the part's tag. The event does not
   * bubble (a part's owner listens on the part itself); an undefined detail arrives as null.
   */
  protected emit<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(name, { detail }));
  }
}

/**
 * Resolves once every part under `root` has drawn: parts update after their owner, one microtask later,
 * and a panel reports what it shows (or measures how long drawing took) only when all of it is drawn.
 */
export async function partsSettled(root: ParentNode): Promise<void> {
  for (;;) {
    const pending = [...root.querySelectorAll('*')].filter(
      (element): element is RankLensPart => element instanceof RankLensPart && element.isUpdatePending,
    );
    if (pending.length === 0) return;
    await Promise.all(pending.map((part) => part.updateComplete));
  }
}
