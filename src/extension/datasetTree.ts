import * as path from 'node:path';
import * as vscode from 'vscode';
import { querySplits, queryText, splitNameOf, warningsOf, type Dataset } from '../core/data';
import type { DatasetController } from './datasetController';

const MAX_QUERIES_LISTED = 5000;
const CANDIDATES_LISTED = 100;

type Node =
  | { kind: 'files' }
  | { kind: 'file'; file: string; role: string }
  | { kind: 'problems' }
  | { kind: 'problem'; text: string; file: string; line?: number; level: 'error' | 'warning' | 'info' }
  | { kind: 'queries'; qids: string[]; splits: QuerySplit[] }
  | { kind: 'split'; split: QuerySplit }
  | { kind: 'query'; qid: string; split?: string }
  | { kind: 'judged'; qid: string }
  | { kind: 'candidates'; qid: string; runIndex: number }
  | { kind: 'passage'; pid: string; label: string; text?: string; qid?: string }
  | { kind: 'more'; count: number };

/** The queries of one queries file, named by the split its file name gives (e.g. DL19, dev600-heldout). */
interface QuerySplit {
  readonly name: string;
  readonly qids: string[];
}

/** The Dataset view: files, problems found in them, and queries with their judged and candidate passages. */
export class DatasetTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: DatasetController) {
    this.subscription = controller.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const d = this.controller.dataset;
    switch (node.kind) {
      case 'files':
        return collapsed('Files', 'files', new vscode.ThemeIcon('files'));
      case 'file': {
        const item = new vscode.TreeItem(path.basename(node.file));
        // Queries and qrels files name their split (queries.dl19.tsv: DL19), which the query nodes show too.
        item.description =
          node.role === 'queries' || node.role === 'qrels'
            ? `${node.role} · ${splitNameOf(node.file)}`
            : node.role;
        item.resourceUri = vscode.Uri.file(node.file);
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(node.file)] };
        return item;
      }
      case 'problems': {
        // Information alone (e.g. the sample's judged passages without text) is a note, not a problem.
        const problems = warningsOf(d?.issues ?? []).length + (d?.errors.length ?? 0);
        const notes = (d?.issues.length ?? 0) - warningsOf(d?.issues ?? []).length;
        return problems > 0
          ? collapsed(`Problems (${problems})`, 'problems', new vscode.ThemeIcon('warning'))
          : collapsed(`Notes (${notes})`, 'problems', new vscode.ThemeIcon('info'));
      }
      case 'problem': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.level);
        item.tooltip = node.text;
        item.command = { command: 'ranklens.revealLine', title: 'Show', arguments: [node.file, node.line] };
        return item;
      }
      case 'queries':
        return collapsed(
          `Queries (${node.qids.length})`,
          'queries',
          new vscode.ThemeIcon('search'),
          vscode.TreeItemCollapsibleState.Expanded,
        );
      case 'split':
        return collapsed(
          `${node.split.name} (${node.split.qids.length})`,
          'split',
          new vscode.ThemeIcon('folder-library'),
        );
      case 'query': {
        const item = collapsed(node.qid, 'query', new vscode.ThemeIcon('question'));
        const text = d ? (queryText(d, node.qid) ?? '') : '';
        item.description = text;
        item.tooltip = node.split ? `${node.qid} (${node.split}): ${text}` : `${node.qid}: ${text}`;
        return item;
      }
      case 'judged': {
        const judged = d ? judgementsOf(d, node.qid) : [];
        return collapsed(`Judged (${judged.length})`, 'judged', new vscode.ThemeIcon('pass'));
      }
      case 'candidates': {
        const run = d?.runs[node.runIndex];
        const n = run?.rankings.get(node.qid)?.length ?? 0;
        const item = collapsed(
          `${run ? path.basename(run.file) : 'run'} (${n})`,
          'candidates',
          new vscode.ThemeIcon('list-ordered'),
        );
        item.description = run?.format;
        return item;
      }
      case 'passage': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.text ?? '(not in the collection)';
        item.tooltip = node.text
          ? new vscode.MarkdownString().appendText(node.text)
          : 'This pid has no text in the open collection.';
        // Right-click: Inspect Pair, Score, Integrated Gradients, Show Passage (package.json menus); the
        // commands read qid and pid from the node.
        item.contextValue = 'passage';
        item.command = {
          command: 'ranklens.showPassage',
          title: 'Show Passage',
          arguments: [node.pid, node.qid],
        };
        return item;
      }
      case 'more':
        return new vscode.TreeItem(`… ${node.count} more`);
    }
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const d = this.controller.dataset;
    if (!d) return [];
    if (!node) {
      const roots: Node[] = [{ kind: 'files' }];
      if (d.issues.length + d.errors.length > 0) roots.push({ kind: 'problems' });
      roots.push({ kind: 'queries', qids: listedQids(d), splits: splitsOf(d) });
      return roots;
    }
    switch (node.kind) {
      case 'files':
        return [
          ...(d.files.collection
            ? [{ kind: 'file' as const, file: d.files.collection, role: 'collection' }]
            : []),
          ...d.files.queries.map((file) => ({ kind: 'file' as const, file, role: 'queries' })),
          ...d.files.qrels.map((file) => ({ kind: 'file' as const, file, role: 'qrels' })),
          ...d.files.runs.map((file) => ({ kind: 'file' as const, file, role: 'run' })),
        ];
      case 'problems':
        return [
          ...d.errors.map((e) => ({
            kind: 'problem' as const,
            text: e.message,
            file: e.file,
            line: e.line,
            level: 'error' as const,
          })),
          ...d.issues.map((i) => ({
            kind: 'problem' as const,
            text: `${path.basename(i.file)}: ${i.message}`,
            file: i.file,
            line: i.line,
            level: i.severity ?? 'warning',
          })),
        ];
      case 'queries':
        // Queries from several files are grouped by split, so train and held-out queries never mix.
        if (node.splits.length > 1) return node.splits.map((split) => ({ kind: 'split' as const, split }));
        return queryNodes(node.qids, querySplits(d.queries));
      case 'split':
        return queryNodes(node.split.qids, querySplits(d.queries));
      case 'query':
        return [
          { kind: 'judged', qid: node.qid },
          ...d.runs.flatMap((run, runIndex) =>
            run.rankings.has(node.qid) ? [{ kind: 'candidates' as const, qid: node.qid, runIndex }] : [],
          ),
        ];
      case 'judged':
        return passages(
          d,
          judgementsOf(d, node.qid).map(([pid, grade]) => ({ pid, label: `${pid}  (grade ${grade})` })),
          node.qid,
        );
      case 'candidates': {
        const ranking = d.runs[node.runIndex].rankings.get(node.qid) ?? [];
        const relevant = new Map(judgementsOf(d, node.qid));
        const shown = ranking.slice(0, CANDIDATES_LISTED).map((c) => {
          const grade = relevant.get(c.pid);
          return {
            pid: c.pid,
            qid: node.qid,
            label: `#${c.rank}  ${c.pid}${grade !== undefined ? `  (grade ${grade})` : ''}`,
          };
        });
        const nodes = await passages(d, shown, node.qid);
        return ranking.length > CANDIDATES_LISTED
          ? [...nodes, { kind: 'more', count: ranking.length - CANDIDATES_LISTED }]
          : nodes;
      }
      default:
        return [];
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function collapsed(
  label: string,
  contextValue: string,
  icon: vscode.ThemeIcon,
  state = vscode.TreeItemCollapsibleState.Collapsed,
): vscode.TreeItem {
  const item = new vscode.TreeItem(label, state);
  item.contextValue = contextValue;
  item.iconPath = icon;
  return item;
}

function listedQids(d: Dataset): string[] {
  const qids = new Set<string>();
  for (const q of d.queries) for (const qid of q.texts.keys()) qids.add(qid);
  if (qids.size === 0) {
    for (const q of d.qrels) for (const qid of q.judgements.keys()) qids.add(qid);
    for (const r of d.runs) for (const qid of r.rankings.keys()) qids.add(qid);
  }
  return [...qids];
}

function splitsOf(d: Dataset): QuerySplit[] {
  return d.queries.map((q) => ({ name: splitNameOf(q.file), qids: [...q.texts.keys()] }));
}

function queryNodes(qids: readonly string[], splits: ReadonlyMap<string, string>): Node[] {
  const shown: Node[] = qids.slice(0, MAX_QUERIES_LISTED).map((qid) => {
    const split = splits.get(qid);
    return split === undefined ? { kind: 'query', qid } : { kind: 'query', qid, split };
  });
  return qids.length > MAX_QUERIES_LISTED
    ? [...shown, { kind: 'more', count: qids.length - MAX_QUERIES_LISTED }]
    : shown;
}

function judgementsOf(d: Dataset, qid: string): [string, number][] {
  return d.qrels
    .flatMap((q) => [...(q.judgements.get(qid) ?? new Map<string, number>())])
    .sort((a, b) => b[1] - a[1]);
}

async function passages(d: Dataset, items: { pid: string; label: string }[], qid: string): Promise<Node[]> {
  const texts = d.collection ? await d.collection.getMany(items.map((i) => i.pid)) : [];
  return items.map((item, i) => {
    const text = texts[i]?.text;
    return text === undefined ? { kind: 'passage', ...item, qid } : { kind: 'passage', ...item, text, qid };
  });
}

/** The qid/pid of a passage row (what the context-menu commands receive), if the node is one. */
export function passageRowPair(node: unknown): { qid: string; pid: string } | undefined {
  const n = node as Partial<Extract<Node, { kind: 'passage' }>> | undefined;
  return n?.kind === 'passage' && typeof n.pid === 'string' && typeof n.qid === 'string'
    ? { qid: n.qid, pid: n.pid }
    : undefined;
}

export type DatasetNode = Node;
