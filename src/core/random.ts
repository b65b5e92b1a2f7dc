/**
 * mulberry32: a tiny seeded PRNG, so seeded splits and generated test weights are the same on every JS engine
 * (Math.random cannot be seeded).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded Fisher-Yates shuffle (a copy; the input is left alone): for i from n-1 down to 1, swap i with
 * j = floor(rng() * (i + 1)), rng = mulberry32(seed). Written out plainly because other tools (the model
 * recipe, in Python) reproduce the same order from this description.
 */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  return shuffleWith(items, mulberry32(seed));
}

/** seededShuffle's Fisher-Yates with a generator the caller goes on using (a copy; the input is left alone). */
export function shuffleWith<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
