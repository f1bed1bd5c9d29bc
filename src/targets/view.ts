// Targets and executions as the API shows them: one schema each that the routes answer with (and
// the OpenAPI document describes), whose inferred types the domain returns.
import { z } from '../zod';

export const TARGET_LIMITS = {
  maxTimeoutSeconds: 270,
  defaultTimeoutSeconds: 10,
  maxRetryAttempts: 20,
  maxRetryIntervalSeconds: 3600,
  /** How long a rotated signing key keeps verifying, by default and at most. */
  defaultKeyOverlapSeconds: 24 * 3600,
  maxKeyOverlapSeconds: 7 * 24 * 3600,
};

export const TARGET_TYPES = ['webhook', 'call', 'async'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export const TargetRetryPolicy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(TARGET_LIMITS.maxRetryAttempts),
    initialIntervalSeconds: z.number().positive().max(TARGET_LIMITS.maxRetryIntervalSeconds),
    backoffCoefficient: z.number().min(1).max(10),
    maxIntervalSeconds: z.number().positive().max(TARGET_LIMITS.maxRetryIntervalSeconds),
  })
  .openapi('TargetRetryPolicy', { description: 'Event delivery only. Connection errors, timeouts and 5xx are retried; 4xx is not.' });
export type TargetRetryPolicy = z.infer<typeof TargetRetryPolicy>;

export const OwnerOrg = z.string().nullable().openapi({ description: "The owning org; null for the instance's own." });

export const Target = z
  .object({
    id: z.string(),
    orgId: OwnerOrg,
    name: z.string(),
    type: z.enum(TARGET_TYPES),
    endpoint: z.string(),
    timeoutSeconds: z.number(),
    interruptOnError: z.boolean(),
    retryPolicy: TargetRetryPolicy.nullable(),
    previousKeyExpiresAt: z.string().nullable().openapi({ description: 'Until when the key replaced by the last rotation still verifies (calls carry both signatures); null when only the current key does.' }),
    createdAt: z.string(),
    createdBy: z.string(),
    changedAt: z.string(),
  })
  .openapi('Target');
export type Target = z.infer<typeof Target>;

export const ExecutionEntry = z.union([z.strictObject({ target: z.string().min(1).max(100) }), z.strictObject({ include: z.string().min(1).max(300) })]);
export type ExecutionEntry = z.infer<typeof ExecutionEntry>;

export const Execution = z
  .object({ id: z.string(), orgId: OwnerOrg, condition: z.string(), targets: z.array(ExecutionEntry), changedAt: z.string(), changedBy: z.string() })
  .openapi('Execution');
export type Execution = z.infer<typeof Execution>;
