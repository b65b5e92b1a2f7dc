import { html, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';

/** One option of a drop-down: its value and the text shown. */
export type Choice = readonly [value: string, label: string];

/** A themed drop-down (vscode-single-select) with these options, calling `change` with the value picked. */
export function singleSelect(
  id: string,
  value: string,
  options: readonly Choice[],
  change: (value: string) => void,
): TemplateResult {
  return html`<vscode-single-select
    id=${id}
    .value=${value}
    @change=${(e: Event) => change((e.target as HTMLSelectElement).value)}
  >
    ${options.map(([v, label]) => html`<vscode-option value=${v} ?selected=${v === value}>${label}</vscode-option>`)}
  </vscode-single-select>`;
}
