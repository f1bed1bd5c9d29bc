// Entry of a script thread (see ScriptThreadPool): runs one action script per message, so the
// worker's main thread stays free for Temporal while a script spins up to its deadline.
import { parentPort } from 'node:worker_threads';
import { createAddressPolicy } from '../net/address-policy';
import { runActionScript, type ActionThreadInput } from './script';

parentPort!.on('message', (input: ActionThreadInput) => {
  void runActionScript({ ...input, policy: createAddressPolicy(input.allowlist) }).then(
    (result) => parentPort!.postMessage(result),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: { kind: 'runtime', message: String(err) }, logs: [], logsTruncated: false, durationMs: 0 }),
  );
});
