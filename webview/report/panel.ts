// The report panel in VS Code: the report element fed by the extension host through the report protocol.
import { reportProtocol } from '../../src/protocol/report';
import { connect, saveState, savedState } from '../shared/channel';
import { chartColors, onThemeChange, opaqueColor, themeColor } from '../shared/theme';
import './reportView';
import type { ReportView, SavedDrill } from './reportView';

const view = document.createElement('rl-report') as ReportView;
// The drill-down open when the panel was last hidden (VS Code rebuilds a hidden panel's page).
view.restore = savedState<{ drill?: SavedDrill }>({}).drill;
let lastSaved = '';
const channel = connect(reportProtocol, {
  notifications: {
    show: ({ input }) => {
      view.input = input;
      view.redraw();
    },
  },
  requests: {
    exportChart: async ({ id, format }) => {
      await view.saveChart(id, format);
      return { file: lastSaved };
    },
    drill: (params) => view.drillTo(params),
    scrollTo: ({ id, table }) => ({ found: view.revealPart(id, table ?? false) }),
  },
});
view.host = {
  palette: () => {
    const c = chartColors();
    const series = ['blue', 'orange', 'green', 'red', 'purple', 'yellow'].map((name, i) =>
      opaqueColor(
        themeColor(`charts-${name}`, ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#bcbd22'][i]),
      ),
    );
    return { text: c.foreground, muted: c.muted, grid: c.border, series: [...series, '#8c564b', '#17becf'] };
  },
  background: () => chartColors().background,
  save: async (name, format, content) => {
    lastSaved = (await channel.endpoint.request('save', { name, format, content })).file;
  },
  rendered: (summary) => channel.endpoint.notify('rendered', summary),
  remember: (drill) => saveState({ drill }),
  drill: {
    queryRanking: (target, qid) => channel.endpoint.request('queryRanking', { target, qid }),
    inspectPair: async (target, qid, pid) => {
      await channel.endpoint.request('inspectPair', { target, qid, pid });
    },
  },
};
document.body.appendChild(view);
onThemeChange(() => view.redraw());
channel.ready();
