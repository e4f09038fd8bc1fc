/**
 * A small seeded pseudo-random generator (xoshiro128**), so every run of the
 * benchmark writes byte-for-byte the same objects for the same seed.
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the four words of state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /**
   * Fills `out` with an embedding-like vector: random sign and mantissa,
   * exponents spread over 2^-8..2^-4 like the components of a unit vector of a
   * few hundred dimensions. Built from raw bits: a Gaussian draw per component
   * would cost more than the store's own work.
   */
  fillEmbedding(out: Float32Array): void {
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < bits.length; i++) {
      const r = this.uint32();
      // sign (bit 31) and mantissa (bits 0-22) from r; exponent 119-122 from bits 23-24.
      bits[i] = (r & 0x807fffff) | ((119 + ((r >>> 23) & 3)) << 23);
    }
  }

  /** A random RFC 4122 version-4-shaped UUID. */
  uuid(): string {
    const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return `${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(0x4000 | (b & 0x0fff), 4)}-` + `${hex(0x8000 | ((c >>> 16) & 0x3fff), 4)}-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
