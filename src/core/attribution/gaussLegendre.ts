/** Nodes and weights of an n-point Gauss–Legendre rule mapped to [0, 1] (weights sum to 1). */
export interface QuadratureRule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

const cache = new Map<number, QuadratureRule>();

/**
 * The n roots of the Legendre polynomial P_n by Newton's method from Tricomi's initial guesses, with
 * weights 2 / ((1 - x^2) P_n'(x)^2), then mapped from [-1, 1] to [0, 1]. Exact for polynomials of degree
 * up to 2n - 1, which is why a handful of nodes integrates a smooth IG path as well as dozens of
 * trapezoid points. Nodes are returned ascending.
 */
export function gaussLegendre(n: number): QuadratureRule {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`Gauss–Legendre order ${n} must be 1-1024`);
  const known = cache.get(n);
  if (known) return known;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // Three-term recurrence for P_n(x) and P_{n-1}(x).
      let previous = 1;
      let current = x;
      for (let k = 2; k <= n; k++)
        [previous, current] = [current, ((2 * k - 1) * x * current - (k - 1) * previous) / k];
      derivative = (n * (x * current - previous)) / (x * x - 1);
      const step = current / derivative;
      x -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    const weight = 2 / ((1 - x * x) * derivative * derivative);
    // Symmetric pair: -x (ascending from the left) and +x.
    nodes[i] = (1 - x) / 2;
    nodes[n - 1 - i] = (1 + x) / 2;
    weights[i] = weight / 2;
    weights[n - 1 - i] = weight / 2;
  }
  const rule = { nodes, weights };
  cache.set(n, rule);
  return rule;
}
