// Workflow code is bundled once: at build time into dist/workflow-bundle.js, or once per
// process when that file is missing (running from source).
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');
const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows');

let inProcess: Promise<WorkflowBundleOption> | undefined;

export function workflowBundle(): Promise<WorkflowBundleOption> {
  if (fs.existsSync(BUNDLE_PATH)) return Promise.resolve({ codePath: BUNDLE_PATH });
  inProcess ??= bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_PATH), logger: quietLogger }).then((b) => ({ code: b.code }));
  return inProcess;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export async function writeBundle(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS_PATH), logger: quietLogger });
  fs.writeFileSync(BUNDLE_PATH, code);
}
