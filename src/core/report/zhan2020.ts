/**
 * Zhan et al.'s published figure values (their BERT-base monoBERT on MS MARCO dev.small), read from the
 * vector paths of the PDFs in jingtaozhan/bert-ranking-analysis/example_figures (BSD-3-Clause) through their
 * tick labels (../shared/data/zhan2020/example_figures_extracted_values.json; see PROVENANCE.md there), and
 * Table 1 of the paper; each analysis keeps its own values in its folder's paper.ts, so a report can draw them
 * beside a model's values offline.
 * Layer numbers are the figures' own: Figure 1 counts layers from 1; Figures 2-4 from 0 (Figure 4: masked
 * layers). Values are read off plots: about +-0.005.
 */
export type Curve = Readonly<Record<number, number>>;

/** The paper's model, for captions. */
export const PAPER_MODEL =
  'Zhan et al. 2020: monoBERT BERT-base (12 layers x 12 heads, hidden 768), MS MARCO dev.small';
