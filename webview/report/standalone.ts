// The offline HTML report (`ranklens report`): the report element fed from the JSON embedded in the page.
import { LIGHT_PALETTE, type ReportInput } from '../../src/core/report/sections';
import './reportView';
import type { ReportView, SaveFormat } from './reportView';

const MIME: Record<SaveFormat, string> = { png: 'image/png', svg: 'image/svg+xml', csv: 'text/csv' };

function download(name: string, format: SaveFormat, content: string): void {
  const link = document.createElement('a');
  link.download = name;
  link.href = format === 'png' ? content : URL.createObjectURL(new Blob([content], { type: MIME[format] }));
  document.body.appendChild(link);
  link.click();
  link.remove();
}

const data = document.getElementById('ranklens-report-data')?.textContent;
const view = document.createElement('rl-report') as ReportView;
view.host = {
  palette: () => LIGHT_PALETTE,
  background: () => '#ffffff',
  save: download,
  rendered: (summary) => document.body.setAttribute('data-rendered', JSON.stringify(summary)),
};
view.input = data ? (JSON.parse(data) as ReportInput) : undefined;
document.body.appendChild(view);
