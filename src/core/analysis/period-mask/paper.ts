// Zhan et al.'s published values for this analysis (see src/core/report/zhan2020.ts for where they were read).

/** Table 1: MRR@10 with the relevant passage's periods modified (original 0.334). */
export const PAPER_PERIOD_MASK = {
  original: 0.334,
  comma: 0.299,
  'token-mask': 0.308,
  'attention-mask': 0.328,
} as const;
