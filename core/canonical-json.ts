/**
 * Canonical JSON (RFC 8785, JCS, for the values Hattama uses): object keys sorted by
 * UTF-16 code units, no insignificant white space, numbers in their shortest form.
 * Manifests and protocols are hashed and signed in this form, so the same content
 * always has the same SHA-256.
 */
import { ValidationError } from './errors.ts';

export function canonicalJson(value: unknown): string {
  return serialize(value, '$');
}

function serialize(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`canonical JSON cannot hold ${value} at ${at}`);
      // ECMAScript's Number-to-string is the shortest round-trip form JCS asks for.
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => serialize(v, `${at}[${i}]`)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v, `${at}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new ValidationError(`canonical JSON cannot hold a ${typeof value} at ${at}`);
  }
}
