import type { ChartColors } from './theme';

/**
 * Echarts tooltip options that respect the webviews' Content-Security-Policy: the content is built as DOM
 * nodes with textContent (echarts' default content has colour markers with style attributes, which CSP
 * refuses), and the tooltip is confined to the chart (an unconfined item tooltip gets an arrow made of a
 * styled <div>). test/e2e/cspProbe.mjs checks both in Chromium.
 */
export function textTooltip<P>(colors: ChartColors, lines: (params: P) => readonly string[]) {
  return {
    confine: true,
    backgroundColor: colors.background,
    borderColor: colors.border,
    textStyle: { color: colors.foreground },
    formatter: (params: P) => {
      const box = document.createElement('div');
      for (const line of lines(params)) box.appendChild(document.createElement('div')).textContent = line;
      return box;
    },
  };
}
