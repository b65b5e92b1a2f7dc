import { LitElement, css, type CSSResultGroup } from 'lit';
import { savedState, saveState } from './channel';
import { RankLensPart, partsSettled } from './part';
import { onThemeChange } from './theme';

/**
 * Styles every RankLens panel starts from: the theme's font and colours, headings, notes and warnings,
 * cards of numbers, tables, and focus drawn in the theme's focus colour. A panel adds its own after these.
 */
export const panelStyles = css`
  :host {
    display: block;
    padding: 12px 16px 24px;
    color: var(--vscode-foreground);
    font-family: var(--vscode-font-family);
    font-size: var(--vscode-font-size);
  }
  h2 {
    font-size: 1.25em;
    font-weight: 600;
    margin: 0 0 2px;
  }
  h3 {
    font-size: 1em;
    font-weight: 600;
    margin: 18px 0 6px;
  }
  .sub,
  .hint {
    opacity: 0.8;
  }
  .hint {
    font-size: 0.92em;
  }
  .cards {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
    gap: 8px;
    margin: 8px 0;
  }
  .card {
    border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
    border-radius: 4px;
    padding: 6px 10px;
  }
  .card .value {
    font-size: 1.4em;
    font-variant-numeric: tabular-nums;
  }
  .card .name {
    opacity: 0.8;
    font-size: 0.9em;
  }
  .note {
    border-left: 4px solid var(--vscode-textLink-foreground, #3794ff);
    background: var(--vscode-textBlockQuote-background, rgba(128, 128, 128, 0.1));
    padding: 6px 10px;
    margin: 6px 0;
  }
  .warning {
    border-left: 4px solid var(--vscode-editorWarning-foreground, #cca700);
    background: var(--vscode-inputValidation-warningBackground, rgba(204, 167, 0, 0.15));
    padding: 6px 10px;
    margin: 6px 0;
  }
  .error {
    color: var(--vscode-errorForeground);
  }
  .busy {
    font-style: italic;
    opacity: 0.85;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    text-align: left;
    padding: 3px 12px 3px 0;
  }
  th {
    font-weight: 600;
    border-bottom: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
  }
  td.num {
    text-align: right;
  }
  code {
    font-family: var(--vscode-editor-font-family);
  }
  /* A shadow root does not inherit VS Code's webview link colours: without these, links take the browser's
     dark blue, unreadable on a dark theme. */
  a {
    color: var(--vscode-textLink-foreground, #3794ff);
  }
  a:hover,
  a:active {
    color: var(--vscode-textLink-activeForeground, #3794ff);
  }
  a:focus-visible,
  button:focus-visible,
  input:focus-visible,
  canvas:focus-visible,
  tr:focus-visible,
  [tabindex]:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: 1px;
  }
`;

/**
 * Query and passage text coloured by attribution (webview/shared/attributionText.ts), with its labelled
 * colour-scale legends: in the editor's font at its size, so the tokens read as they do in the editor.
 */
export const attributionTextStyles = css`
  .texts {
    display: grid;
    grid-template-columns: 5.5em 1fr;
    gap: 6px 12px;
    line-height: 1.9;
  }
  .role {
    opacity: 0.8;
    text-align: right;
  }
  .text {
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size);
    border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
    border-radius: 4px;
    padding: 4px 8px;
    white-space: pre-wrap;
  }
  .tok {
    border-radius: 3px;
    padding: 1px 0;
    box-decoration-break: clone;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 18px;
    align-items: center;
    font-size: 0.9em;
    margin: 8px 0;
  }
  .scale {
    display: inline-flex;
    gap: 6px;
    align-items: center;
  }
  .scale-name {
    font-weight: 600;
  }
  .bar {
    display: inline-block;
    width: 150px;
    height: 12px;
    border-radius: 3px;
    border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35));
  }
`;

/**
 * The base of every RankLens webview app (`<rl-app>`): UI state that survives the view being hidden and
 * shown (`state`, `setState`), a redraw when the theme changes, and the ready handshake once the element
 * is in the page — after which the host (re)sends what the view shows. Its `updateComplete` waits for the
 * parts (webview/shared/part.ts) it is composed of, and `drawn` runs once they have drawn.
 */
export abstract class RankLensApp<S extends object> extends LitElement {
  static override styles: CSSResultGroup = panelStyles;
  protected readonly state: S;
  /** The view's channel (webview/shared/channel.ts connect), made by the app with its handlers. */
  protected abstract readonly channel: { ready(): void };

  constructor(defaults: S) {
    super();
    this.state = savedState(defaults);
  }

  protected setState(change: Partial<S>): void {
    Object.assign(this.state, change);
    saveState(this.state);
    this.requestUpdate();
  }

  /**
   * Theme colours are read when drawing: the app and every part redraw (apps with cached charts also
   * forget them here).
   */
  protected themeChanged(): void {
    this.requestUpdate();
    for (const element of this.renderRoot.querySelectorAll('*'))
      if (element instanceof RankLensPart) element.requestUpdate();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    onThemeChange(() => this.themeChanged());
    this.channel.ready();
  }

  protected override async getUpdateComplete(): Promise<boolean> {
    const result = await super.getUpdateComplete();
    await partsSettled(this.renderRoot);
    return result && !this.isUpdatePending;
  }

  override updated(): void {
    void this.updateComplete.then(() => this.drawn());
  }

  /** After each update, once every part has drawn: where a panel reports what it shows. */
  protected drawn(): void {}
}
