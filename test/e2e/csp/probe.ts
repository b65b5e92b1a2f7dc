// Loaded by test/e2e/cspProbe.mjs in a page with the webviews' Content-Security-Policy: each check says
// whether Chromium applied a style and whether it reported a violation.
import { LitElement, css, html, render } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import * as echarts from 'echarts/core';
import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { cssom } from '../../../webview/shared/cssom';

echarts.use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) =>
  violations.push(`${e.effectiveDirective}: ${e.sample || e.blockedURI}`),
);
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function check(name: string, run: () => Promise<boolean> | boolean) {
  const before = violations.length;
  const applied = await run();
  await settle();
  return { name, applied, violations: violations.slice(before) };
}

class Probe extends LitElement {
  static override styles = css`
    p {
      color: rgb(1, 2, 3);
    }
  `;
  override render() {
    return html`<p>styled by a constructable stylesheet</p>`;
  }
}
customElements.define('rl-probe', Probe);

const fresh = () => document.body.appendChild(document.createElement('div'));
const results = [
  await check('lit static styles (adoptedStyleSheets)', async () => {
    const el = document.body.appendChild(document.createElement('rl-probe')) as Probe;
    await el.updateComplete;
    return getComputedStyle(el.renderRoot.querySelector('p')!).color === 'rgb(1, 2, 3)';
  }),
  await check('cssom() directive', () => {
    const host = fresh();
    render(html`<span ${cssom({ 'background-color': 'rgb(4, 5, 6)' })}>x</span>`, host);
    return getComputedStyle(host.querySelector('span')!).backgroundColor === 'rgb(4, 5, 6)';
  }),
  await check('element.style assignment (CSSOM)', () => {
    const el = fresh();
    el.style.color = 'rgb(7, 8, 9)';
    return getComputedStyle(el).color === 'rgb(7, 8, 9)';
  }),
  await check('setAttribute("style")', () => {
    const el = fresh();
    el.setAttribute('style', 'color: rgb(10, 11, 12)');
    return getComputedStyle(el).color === 'rgb(10, 11, 12)';
  }),
  await check('lit styleMap (first render writes a style attribute)', () => {
    const host = fresh();
    render(html`<span style=${styleMap({ color: 'rgb(13, 14, 15)' })}>x</span>`, host);
    return getComputedStyle(host.querySelector('span')!).color === 'rgb(13, 14, 15)';
  }),
  await check('innerHTML with a style attribute', () => {
    const el = fresh();
    el.innerHTML = '<span style="color: rgb(16, 17, 18)">x</span>';
    return getComputedStyle(el.querySelector('span')!).color === 'rgb(16, 17, 18)';
  }),
  await check('<style> element without the nonce', () => {
    const style = document.createElement('style');
    style.textContent = '.probe-unnonced { color: rgb(19, 20, 21); }';
    document.head.appendChild(style);
    const el = fresh();
    el.className = 'probe-unnonced';
    return getComputedStyle(el).color === 'rgb(19, 20, 21)';
  }),
  await check('echarts heatmap, confined tooltip with a DOM formatter, tooltip shown', async () => {
    const el = fresh();
    el.style.width = '400px';
    el.style.height = '200px';
    const chart = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.setOption({
      tooltip: {
        confine: true,
        formatter: () => {
          const tip = document.createElement('div');
          tip.textContent = 'layer 1: 0.5';
          return tip;
        },
      },
      xAxis: { type: 'category', data: ['a', 'b'] },
      yAxis: { type: 'category', data: ['x'] },
      visualMap: { min: 0, max: 1, calculable: true },
      series: [
        {
          type: 'heatmap',
          data: [
            [0, 0, 0.2],
            [1, 0, 0.9],
          ],
        },
      ],
      animation: false,
    });
    chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 1 });
    await settle();
    const tip = [...el.querySelectorAll('div')].find((d) => d.textContent?.includes('0.5'));
    return (
      el.querySelector('canvas') !== null &&
      tip !== undefined &&
      getComputedStyle(tip).position === 'absolute'
    );
  }),
  await check('echarts unconfined item tooltip (its arrow is a div with a style attribute)', async () => {
    const el = fresh();
    el.style.width = '400px';
    el.style.height = '200px';
    const chart = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.setOption({
      tooltip: { formatter: () => 'layer 1: 0.5' },
      xAxis: { type: 'category', data: ['a', 'b'] },
      yAxis: { type: 'category', data: ['x'] },
      visualMap: { min: 0, max: 1, calculable: true },
      series: [
        {
          type: 'heatmap',
          data: [
            [0, 0, 0.2],
            [1, 0, 0.9],
          ],
        },
      ],
      animation: false,
    });
    chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 1 });
    await settle();
    const arrow = [...el.querySelectorAll('div')].find(
      (d) =>
        d.hasAttribute('style') && d.textContent === '' && d.getAttribute('style')?.includes('z-index:-1'),
    );
    return arrow !== undefined && getComputedStyle(arrow).zIndex === '-1';
  }),
];
(window as unknown as { probeResults: unknown }).probeResults = results;
