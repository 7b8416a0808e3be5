// Seeded pseudo-randomness: the same seed gives the same world. Nothing in the
// engine uses Math.random.

/** A small, fast seeded generator (SplitMix32 output over a Weyl sequence). */
export class Random {
  #state: number;

  constructor(seed = 0x9e3779b9) {
    this.#state = seed >>> 0;
  }

  /** A uniformly distributed uint32. */
  nextU32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.nextU32() / 0x100000000) * bound);
  }

  /** Fills `out` with random bytes. */
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }
}
