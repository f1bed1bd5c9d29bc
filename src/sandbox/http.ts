// `api.http.fetch` for sandboxed scripts: an HTTP(S) call from the host through the one outbound
// client (net/http.ts), on the script's behalf, a few at a time; the run's deadline aborts it.
import type { AddressPolicy } from '../net/address-policy';
import { FETCH_LIMITS, fetchThroughPolicy, type FetchInit } from '../net/http';
import type { HostFunction } from './sandbox';

/** The host function behind `api.http.fetch(url, { method, headers, body })`; make one per script run. */
export function fetchHostFunction(policy: AddressPolicy): HostFunction {
  const slots = new Slots(FETCH_LIMITS.concurrentPerRun);
  return async ([url, init], call) => {
    await slots.take(call.signal);
    try {
      return await fetchThroughPolicy(policy, String(url), (init ?? {}) as FetchInit, call.signal);
    } finally {
      slots.give();
    }
  };
}

/** A counting semaphore whose waiters give up when their signal aborts. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(new Error('fetch: aborted at the script deadline'));
      };
      this.waiting.push(go);
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  give(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}
