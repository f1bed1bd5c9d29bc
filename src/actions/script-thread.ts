// Entry of a script thread (see ScriptThreadPool): runs one job per message (an action script in
// Cadenza's or Zitadel's script API, a plain script, or a workflow node's expressions or Code), so
// the worker's main thread stays free for Temporal while a script spins up to its deadline.
import { parentPort } from 'node:worker_threads';
import { runNodeScriptJob, type NodeScriptResult } from '../dsl/script-job';
import { createAddressPolicy } from '../net/address-policy';
import { Sandbox, type RunScriptResult } from '../sandbox/sandbox';
import { runActionScript, type ActionThreadInput, type ScriptJob } from './script';
import { runZitadelScript } from './zitadel-v1';

// This thread's one QuickJS engine, shared by its jobs (they run one at a time).
const sandbox = new Sandbox();

function runActionJob(input: ActionThreadInput): Promise<RunScriptResult> {
  if (input.api === 'zitadel-v1') return runZitadelScript(sandbox, input);
  return runActionScript(sandbox, { ...input, policy: createAddressPolicy(input.allowlist) });
}

function runJob(job: ScriptJob): Promise<RunScriptResult | NodeScriptResult> {
  switch (job.kind) {
    case 'action':
      return runActionJob(job.input);
    case 'script':
      return sandbox.runScript(job.input);
    case 'node':
      return runNodeScriptJob(sandbox, job.input);
  }
}

parentPort!.on('message', (job: ScriptJob) => {
  void runJob(job).then(
    (result) => parentPort!.postMessage(result),
    (err: unknown) =>
      parentPort!.postMessage(job.kind === 'node' ? { ok: false, error: String(err) } : { ok: false, error: { kind: 'runtime', message: String(err) }, logs: [], logsTruncated: false, durationMs: 0 }),
  );
});
