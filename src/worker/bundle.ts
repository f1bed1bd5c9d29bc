// Workflow code is bundled once: at build time into dist/workflow-bundle.js, or once per
// process when that file is missing (running from source). Two bundles: one with the
// OpenTelemetry workflow interceptors, loaded when tracing is on, and one whose command
// workflows skip them, loaded when it is off.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');
export const UNTRACED_BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle-untraced.js');
const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows');
const LOG_CONTEXT_INTERCEPTORS = path.resolve(__dirname, '../workflows/log-context-interceptors');
/**
 * Workflow interceptors, bundled in: the OpenTelemetry spans (exported through the worker's
 * `exporter` sink; with tracing off, src/workflows/untraced-interceptors.ts) and the log context.
 */
function interceptorModules(traced: boolean): string[] {
  const spans = traced ? require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors') : path.resolve(__dirname, '../workflows/untraced-interceptors');
  return [spans, LOG_CONTEXT_INTERCEPTORS];
}

const inProcess = new Map<boolean, Promise<WorkflowBundleOption>>();

/** The bundle for a worker with tracing on (`traced`) or off. */
export function workflowBundle(traced = true): Promise<WorkflowBundleOption> {
  const built = traced ? BUNDLE_PATH : UNTRACED_BUNDLE_PATH;
  if (fs.existsSync(built)) return Promise.resolve({ codePath: built });
  let bundle = inProcess.get(traced);
  if (bundle === undefined) {
    bundle = bundleCode(traced).then((code) => ({ code }));
    inProcess.set(traced, bundle);
  }
  return bundle;
}

async function bundleCode(traced: boolean): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_PATH), workflowInterceptorModules: interceptorModules(traced), logger: quietLogger });
  return code;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export async function writeBundle(): Promise<void> {
  fs.writeFileSync(BUNDLE_PATH, await bundleCode(true));
  fs.writeFileSync(UNTRACED_BUNDLE_PATH, await bundleCode(false));
}
