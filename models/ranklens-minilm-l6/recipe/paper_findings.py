"""Zhan et al.'s findings checked on a model: reads the result.json files of a `ranklens report` work folder
(REPORT.html.d/<analysis>/result.json) and prints Markdown tables of this model's numbers beside the paper's,
with the paper's layers taken at the same relative depth (paper layer l * 12 / L for this model's layer l).

  python3 models/ranklens-minilm-l6/recipe/paper_findings.py REPORT.html.d > findings.md

The paper's per-layer values are the authors' figure data (../shared/data/zhan2020/
example_figures_extracted_values.json, read off their PDFs, +-0.005); Table 1 is the paper's.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import SHARED  # noqa: E402

PAPER_LAYERS = 12
PAPER_TABLE_1 = {"original": 0.334, "comma": 0.299, "token-mask": 0.308, "attention-mask": 0.328}


def load(folder, analysis):
    path = os.path.join(folder, analysis, "result.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["result"]


def paper_series(figure, series, panel=None):
    with open(os.path.join(SHARED, "zhan2020", "example_figures_extracted_values.json")) as f:
        figures = json.load(f)
    for entry in figures[figure]:
        if entry["series"].startswith(series) and (panel is None or entry["panel"].startswith(panel)):
            return {int(k): v for k, v in entry["points"].items()}
    raise KeyError(f"{figure}: no series {series}")


def at_depth(curve, layer, layers):
    """The paper's value at this model's relative depth, linearly interpolated between its layers."""
    x = layer * PAPER_LAYERS / layers
    keys = sorted(curve)
    if x <= keys[0]:
        return curve[keys[0]]
    if x >= keys[-1]:
        return curve[keys[-1]]
    lo = max(k for k in keys if k <= x)
    hi = min(k for k in keys if k >= x)
    if lo == hi:
        return curve[lo]
    return curve[lo] + (curve[hi] - curve[lo]) * (x - lo) / (hi - lo)


def attention(folder):
    r = load(folder, "attention")
    if r is None:
        return
    L = r["numLayers"]
    stats = r["statistics"]
    paper = {"toCls": paper_series("avg_att", "[CLS] (left)", "left"),
             "toSep": paper_series("avg_att", "[SEP] (left)", "left"),
             "toPeriods": paper_series("avg_att", "Periods (left)", "left")}
    print(f"### Figure 1: attention share per layer ({r['pairs']} relevant pairs; mean over heads, max head in brackets)\n")
    print("| layer (paper layer) | to [CLS] | paper | to [SEP] | paper | to periods | paper |")
    print("|---|---|---|---|---|---|---|")
    for l in range(1, L + 1):
        row = [f"{l} ({l * PAPER_LAYERS / L:g})"]
        for key in ("toCls", "toSep", "toPeriods"):
            s = stats[key]
            row += [f"{s['meanOverHeads'][l - 1]:.3f} [{max(s['perHead'][l - 1]):.2f}]",
                    f"{at_depth(paper[key], l, L):.3f}"]
        print("| " + " | ".join(row) + " |")
    print(f"\nUniform share: [CLS] {stats['toCls']['chance']:.3f}, [SEP] {stats['toSep']['chance']:.3f}, "
          f"periods {stats['toPeriods']['chance']:.3f}.\n")


def period_mask(folder):
    r = load(folder, "period-mask")
    if r is None:
        return
    base = r["original"]["mrr10"]
    print(f"### Table 1: period masking ({r['queries']} queries, {r['modifiedPassages']} passages changed)\n")
    print("| setting | MRR@10 | change | vs original (paired over queries) | paper | paper change |")
    print("|---|---|---|---|---|---|")
    print(f"| original | {base:.4f} | | | {PAPER_TABLE_1['original']:.3f} | |")
    for s in r["settings"]:
        paper = PAPER_TABLE_1.get(s["setting"])
        paper_change = f"{100 * (paper / PAPER_TABLE_1['original'] - 1):+.0f} %" if paper else ""
        print(f"| {s['setting']} | {s['mrr10']:.4f} | {100 * s['relativeChange']:+.1f} % | "
              f"{paired(s.get('comparison'))} | {paper if paper else ''} | {paper_change} |")
    print()


def paired(comparison):
    """A paired comparison as `ranklens` stores it: the difference's interval, the permutation p, who moved."""
    if not comparison:
        return ""
    d = comparison["difference"]
    p = comparison["permutation"]["p"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return (f"Δ {d['mean']:+.3f} [{d['lower']:+.3f}, {d['upper']:+.3f}], {p_text}, "
            f"{comparison['improved']} up / {comparison['hurt']} down")


def interaction(folder):
    r = load(folder, "interaction-mask")
    if r is None:
        return
    names = {"query-to-document": "mask query->doc", "document-to-query": "mask doc->query", "both": "mask both"}
    directions = [d for d in names if d in r["directions"]]
    depth = len(r["directions"][directions[0]]["mrr10"]) - 1
    print(f"### Figure 4: MRR@10 with interactions masked in the first i layers ({r['queries']} queries, "
          f"{r['kind']} mask)\n")
    print("| i (paper i) | " + " | ".join(f"{d} | paper" for d in directions) + " |")
    print("|---|" + "---|---|" * len(directions))
    for i in range(depth + 1):
        row = [f"{i} ({i * PAPER_LAYERS / depth:g})"]
        for d in directions:
            curve = paper_series("mask", names[d])
            row += [f"{r['directions'][d]['mrr10'][i]:.4f}", f"{at_depth(curve, i, depth):.3f}"]
        print("| " + " | ".join(row) + " |")
    print()


def attribution(folder):
    r = load(folder, "attribution")
    if r is None:
        return
    groups = [("cls", "[CLS]"), ("sep", "[SEP]"), ("query", "Query"), ("document", "Document"),
              ("period", "Periods")]
    panels = {"empty-query": "Empty Query", "empty-document": "Empty Document"}
    for b in r["baselines"]:
        L = max(layer["layer"] for layer in b["layers"])
        print(f"### Figure 2: IG share per layer, {b['baseline']} baseline ({r['attributedPairs']} pairs)\n")
        print("| layer (paper layer) | " + " | ".join(f"{label} | paper" for _, label in groups) + " |")
        print("|---|" + "---|---|" * len(groups))
        for layer in b["layers"]:
            l = layer["layer"]
            row = [f"{l} ({l * PAPER_LAYERS / L:g})"]
            for key, label in groups:
                curve = paper_series("attribution", label, panels[b["baseline"]])
                value = layer["share"].get(key)
                row += [f"{value:.3f}" if value is not None else "", f"{at_depth(curve, l, L):.3f}"]
            print("| " + " | ".join(row) + " |")
        print()


def probing(folder):
    r = load(folder, "probing")
    if r is None:
        return
    labels = {"query": "Query", "cls": "[CLS]", "sep": "[SEP]", "period": "Periods (Doc)", "randomDoc": "Random (Doc)",
              "stopWordDoc": "Stop Words (Doc)", "queryTermDoc": "Query Terms (Doc)"}
    groups = r["groups"]
    L = len(groups[0]["mrr"]) - 1
    print(f"### Figure 3: probe MRR@10 per layer ({r['evalQueries']} held-out queries, {r['trainPairs']} training "
          f"pairs; chance {r['chanceMrr']:.3f})\n")
    print("| layer | " + " | ".join(labels.get(g["group"], g["group"]) for g in groups) + " |")
    print("|---|" + "---|" * len(groups))
    for l in range(L + 1):
        print(f"| {l} | " + " | ".join(f"{g['mrr'][l]:.3f}" for g in groups) + " |")
    last = sorted(groups, key=lambda g: -g["mrr"][L])
    print("\nOrder at the last layer: " + " > ".join(labels.get(g["group"], g["group"]) for g in last))
    paper_last = sorted(((name, paper_series("probing", label)) for name, label in labels.items()),
                        key=lambda item: -item[1][max(item[1])])
    print("Paper's order at its last layer: " + " > ".join(labels[name] for name, _ in paper_last) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    for section in (attention, attribution, probing, period_mask, interaction):
        section(folder)


if __name__ == "__main__":
    main()
