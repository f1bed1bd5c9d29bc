// Entry of a script thread (see ScriptThreadPool): runs one job per message (an action script in
// Cadenza's or Zitadel's script API, a plain script, or a workflow node's expressions or Code), so
// the worker's main thread stays free for Temporal while a script spins up to its deadline.
import { parentPort } from 'node:worker_threads';
import { runNodeScriptJob, type NodeScriptResult } from '../dsl/script-job';
import { createAddressPolicy } from '../net/address-policy';
import { runScript, type RunScriptResult } from '../sandbox/sandbox';
import { runActionScript, type ActionThreadInput, type ScriptJob } from './script';
import { runZitadelScript } from './zitadel-v1';

function runActionJob(input: ActionThreadInput): Promise<RunScriptResult> {
  if (input.api === 'zitadel-v1') return runZitadelScript(input);
  return runActionScript({ ...input, policy: createAddressPolicy(input.allowlist) });
}

function runJob(job: ScriptJob): Promise<RunScriptResult | NodeScriptResult> {
  switch (job.kind) {
    case 'action':
      return runActionJob(job.input);
    case 'script':
      return runScript(job.input);
    case 'node':
      return runNodeScriptJob(job.input);
  }
}

parentPort!.on('message', (job: ScriptJob) => {
  void runJob(job).then(
    (result) => parentPort!.postMessage(result),
    (err: unknown) =>
      parentPort!.postMessage(job.kind === 'node' ? { ok: false, error: String(err) } : { ok: false, error: { kind: 'runtime', message: String(err) }, logs: [], logsTruncated: false, durationMs: 0 }),
  );
});
