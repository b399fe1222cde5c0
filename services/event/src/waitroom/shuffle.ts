import { createHmac, randomBytes } from 'node:crypto';

/**
 * The waiting room's draw as a pure function of a seed, so anyone holding the recorded seed and the recorded set
 * of participants can redo it and get the recorded order: an organiser can show the draw was fair.
 *
 * The seed is 32 bytes from the CSPRNG (`newSeed`). The random stream is HMAC-SHA256(seed, counter) in blocks of
 * 32 bytes (a PRF keyed by the seed, as HMAC-DRBG builds on); each pick takes 6 bytes (48 bits) and rejects values
 * beyond the largest multiple of the range, so every index is exactly equally likely (no modulo bias). Fisher-Yates
 * over the input (sorted by the caller in arrival order) then gives every one of the n! orders the same chance.
 */
export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

const TWO_48 = 2 ** 48;

/** A stream of uniform integers below a bound, from the seed. */
function uniformStream(seedHex: string): (bound: number) => number {
  const key = Buffer.from(seedHex, 'hex');
  let block = Buffer.alloc(0);
  let at = 0;
  let counter = 0;
  const next48 = (): number => {
    if (at + 6 > block.length) {
      const c = Buffer.alloc(8);
      c.writeBigUInt64BE(BigInt(counter++));
      block = createHmac('sha256', key).update(c).digest();
      at = 0;
    }
    const v = block.readUIntBE(at, 6);
    at += 6;
    return v;
  };
  return (bound) => {
    const limit = TWO_48 - (TWO_48 % bound);
    for (;;) {
      const v = next48();
      if (v < limit) return v % bound;
    }
  };
}

/** The drawn order of `items` (not changed) under `seedHex`. */
export function drawOrder<T>(items: readonly T[], seedHex: string): T[] {
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new Error('a draw seed is 32 bytes in hex');
  const out = [...items];
  const below = uniformStream(seedHex);
  for (let i = out.length - 1; i > 0; i--) {
    const j = below(i + 1);
    const t = out[i] as T;
    out[i] = out[j] as T;
    out[j] = t;
  }
  return out;
}
