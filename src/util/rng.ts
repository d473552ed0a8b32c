/**
 * The project's one seeded generator (sfc32, seeded through splitmix32): the simulator's only
 * source of randomness (same seed, same market, byte for byte), the load tool's churn, the
 * tests' synthetic markets. Floats from it choose between alternatives and never become
 * prices or sizes directly.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += this.u32().toString(16).padStart(8, '0');
    return out.slice(0, n);
  }

  /** A uniform integer below 2^50 (trade ids and the like: exact in a JS number). */
  u50(): number {
    return (this.u32() % 0x40000) * 4294967296 + this.u32();
  }

  /**
   * An integer count around `mean`: its integer part plus one with the probability of its
   * fraction, then ±`spread` (relative) of jitter; never negative.
   */
  count(mean: number, spread = 0): number {
    const jittered = spread > 0 ? mean * (1 + spread * (2 * this.float() - 1)) : mean;
    const whole = Math.floor(jittered);
    return Math.max(0, whole + (this.float() < jittered - whole ? 1 : 0));
  }
}

/** The generator as a `() => number` in [0, 1), for code that only needs floats. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}
