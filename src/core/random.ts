/** The largest seed: mulberry32's state has 32 bits, so seeds differ only within [0, 2^32). */
export const MAX_SEED = 0xffffffff;

/**
 * Refuses a seed that is not a whole number in [0, MAX_SEED]: mulberry32 would quietly use it modulo 2^32
 * (0 and 2^32 giving one sample), and one above 2^53 is not even the number that was typed.
 */
export function checkSeed(seed: number, what: string): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new Error(`${what} ${seed} must be a whole number from 0 to ${MAX_SEED}`);
}

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
