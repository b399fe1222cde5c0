import { randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 16;

/**
 * A gift code: 16 characters of a CSPRNG (80 bits) shown as XXXX-XXXX-XXXX-XXXX. Codes are unique in
 * MySQL; at 80 bits a collision among even a billion codes is about one in a million.
 */
export function newGiftCodes(count: number): string[] {
  const bytes = randomBytes(count * LENGTH);
  const codes: string[] = new Array<string>(count);
  for (let c = 0; c < count; c++) {
    let code = '';
    for (let i = 0; i < LENGTH; i++) {
      if (i > 0 && i % 4 === 0) code += '-';
      code += ALPHABET[(bytes[c * LENGTH + i] as number) & 31];
    }
    codes[c] = code;
  }
  return codes;
}
