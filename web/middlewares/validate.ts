/** zod at the edge: a request that does not match gets 400 VALIDATION_FAILED naming each bad field. */
import type { z } from 'zod';
import { ValidationError } from '../../core/index.ts';

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.join('.') || '(root)',
    message: i.message,
  }));
  throw new ValidationError(`invalid ${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
    issues,
  });
}
