// Alerts as the API shows them: one schema each that the routes answer with (and the OpenAPI
// document describes), whose inferred types the domain returns.
import { z } from '../zod';

export const ALERT_SCOPES = ['target', 'action', 'flow', 'command', 'workflow', 'troubleshooting'] as const;
export type AlertScope = (typeof ALERT_SCOPES)[number];

export const Alert = z
  .object({
    id: z.string(),
    orgId: z.string().nullable().openapi({ description: "The owning org; null for the instance's alerts, which count every org's runs." }),
    name: z.string(),
    scope: z.enum(ALERT_SCOPES),
    scopeId: z.string().nullable(),
    failureRateThreshold: z.number().nullable().openapi({ description: 'Failure-rate alerts; null for troubleshooting.' }),
    window: z.number().int(),
    minRuns: z.number().int().nullable().openapi({ description: 'Failure-rate alerts; null for troubleshooting.' }),
    depthThreshold: z.number().int().nullable().openapi({ description: 'Troubleshooting alerts; null for the others.' }),
    notifyTargetId: z.string(),
    evaluateEverySeconds: z.number().int(),
    state: z.enum(['ok', 'firing']),
    lastRate: z.number().nullable(),
    lastRuns: z.number().int().nullable(),
    lastDepth: z.number().int().nullable().openapi({ description: 'Troubleshooting alerts: the parked commands the last evaluation counted.' }),
    lastEvaluatedAt: z.string().nullable(),
    lastFiredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Alert');
export type Alert = z.infer<typeof Alert>;

const AlertFiring = z.object({ firedAt: z.string(), failureRate: z.number().nullable(), runs: z.number().int().nullable(), depth: z.number().int().nullable(), notifyStatus: z.number().int().nullable(), notifyError: z.string().nullable() });

/** One alert with its last firings (GET /v1/alerts/{alertId}). */
export const AlertWithHistory = Alert.extend({ history: z.array(AlertFiring) });
export type AlertWithHistory = z.infer<typeof AlertWithHistory>;
