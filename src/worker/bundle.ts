// Workflow code is bundled once: at build time into dist/workflow-bundle.js, or once per
// process when that file is missing (running from source).
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');
const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows');
/** Workflow interceptors, bundled in: OpenTelemetry spans (exported through the worker's `exporter` sink) and the log context. */
const INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'), path.resolve(__dirname, '../workflows/log-context-interceptors')];

let inProcess: Promise<WorkflowBundleOption> | undefined;

export function workflowBundle(): Promise<WorkflowBundleOption> {
  if (fs.existsSync(BUNDLE_PATH)) return Promise.resolve({ codePath: BUNDLE_PATH });
  inProcess ??= bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_PATH), workflowInterceptorModules: INTERCEPTOR_MODULES, logger: quietLogger }).then((b) => ({ code: b.code }));
  return inProcess;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export async function writeBundle(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_PATH), workflowInterceptorModules: INTERCEPTOR_MODULES, logger: quietLogger });
  fs.writeFileSync(BUNDLE_PATH, code);
}
