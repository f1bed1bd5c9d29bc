// The API's shared schemas; zod (with .openapi()) comes from src/zod.ts, so the same schemas
// validate requests and describe the API.
import type { FieldIssue } from '../errors';
import { PAGE_MAX } from '../pagination';
import { z } from '../zod';

export { z };

/** Text with something besides spaces, trimmed. */
export const words = (max: number) => z.string().regex(/\S/, 'must not be blank').max(max).trim();

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(50).openapi({ description: `Page size, 1 to ${PAGE_MAX}.` }),
  cursor: z.string().max(1000).optional().openapi({ description: 'nextCursor from the previous page.' }),
});

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export function zodIssues(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: formatPath(prefix, [...issue.path, key]), message: 'is not a known field' }))
      : [{ field: formatPath(prefix, issue.path), message: issue.message }],
  );
}

function formatPath(prefix: string, path: PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}
