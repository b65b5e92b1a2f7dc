// Zhan et al.'s published values for this analysis (see src/core/report/zhan2020.ts for where they were read).
import type { Curve } from '../../report/zhan2020';

/** Figure 4: MRR@10 with interactions masked (attention mask) in the first i layers; i = 0 is unmasked. */
export const PAPER_INTERACTION_MASK: Readonly<Record<string, Curve>> = {
  queryToDocument: {
    0: 0.334,
    1: 0.335,
    2: 0.336,
    3: 0.335,
    4: 0.334,
    5: 0.328,
    6: 0.327,
    7: 0.328,
    8: 0.327,
    9: 0.326,
    10: 0.321,
    11: 0.314,
  },
  documentToQuery: {
    0: 0.334,
    1: 0.334,
    2: 0.334,
    3: 0.327,
    4: 0.317,
    5: 0.311,
    6: 0.309,
    7: 0.308,
    8: 0.307,
    9: 0.306,
    10: 0.298,
    11: 0.293,
  },
  both: {
    0: 0.334,
    1: 0.336,
    2: 0.335,
    3: 0.322,
    4: 0.307,
    5: 0.29,
    6: 0.286,
    7: 0.286,
    8: 0.283,
    9: 0.281,
    10: 0.253,
    11: 0.2,
  },
};
