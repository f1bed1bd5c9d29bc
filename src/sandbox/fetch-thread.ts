// Entry of the fetch helper thread (see blocking-fetch.ts): makes each call through the address
// policy, answers on the job's port, then wakes the waiting script thread.
import { parentPort } from 'node:worker_threads';
import { createAddressPolicy } from '../net/address-policy';
import type { FetchAnswer, FetchJob } from './blocking-fetch';
import { fetchThroughPolicy } from '../net/http';

async function answer(job: FetchJob): Promise<FetchAnswer> {
  try {
    const signal = AbortSignal.timeout(Math.max(0, job.deadline - Date.now()));
    return { ok: true, response: await fetchThroughPolicy(createAddressPolicy(job.allowlist), job.url, job.init, signal) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort!.on('message', (job: FetchJob) => {
  void answer(job).then((a) => {
    job.port.postMessage(a);
    job.port.close();
    Atomics.store(job.flag, 0, 1);
    Atomics.notify(job.flag, 0);
  });
});
