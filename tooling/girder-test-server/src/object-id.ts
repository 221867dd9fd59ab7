import { randomBytes } from 'node:crypto';

const processUnique = randomBytes(5);
let counter = randomBytes(3).readUIntBE(0, 3);

/**
 * Makes a new 24-hex-digit id shaped like a MongoDB ObjectId: 4 bytes of seconds since the epoch,
 * 5 bytes unique to this process, a 3-byte counter.
 *
 * @returns A fresh, unique id.
 */
export function newObjectId(): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
  processUnique.copy(bytes, 4);
  counter = (counter + 1) % 0xffffff;
  bytes.writeUIntBE(counter, 9, 3);
  return bytes.toString('hex');
}

/**
 * Tells whether a string is a well-formed ObjectId (24 hexadecimal digits).
 *
 * @param value - The string to check.
 * @returns `true` when `value` has exactly 24 hex digits.
 */
export function isObjectId(value: string): boolean {
  return /^[0-9a-fA-F]{24}$/.test(value);
}
