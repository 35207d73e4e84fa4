/** Hex and base64 helpers with strict decoding (malformed input is an error, never silently dropped). */
import { FormatError } from '../errors.js';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decodes hex (either case, even length). @throws FormatError */
export function fromHex(hex: string, what = 'hex string'): Uint8Array {
  if (!HEX.test(hex)) throw new FormatError(`${what} is not valid hex`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const B64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes standard or URL-safe base64, as DSSE verifiers must accept both. @throws FormatError */
export function fromBase64(text: string, what = 'base64 string'): Uint8Array {
  if (B64_STD.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  if (B64_URL.test(text)) return new Uint8Array(Buffer.from(text, 'base64url'));
  throw new FormatError(`${what} is not valid base64`);
}
