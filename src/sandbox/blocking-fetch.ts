// A fetch that answers synchronously, for script APIs whose fetch returns the response itself
// (Zitadel's `require('zitadel/http').fetch`). The call is made by a helper thread through the
// same address policy and limits as `api.http.fetch`; this thread (a script thread, never the
// worker's event loop) blocks on a shared flag until the answer arrives or the run's deadline passes.
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { FetchInit, FetchResponse } from '../net/http';
import type { HostFunction } from './sandbox';

/** What the helper thread is asked to do; it answers on `port`, then raises `flag`. */
export interface FetchJob {
  url: string;
  init: FetchInit;
  allowlist: string[];
  deadline: number;
  flag: Int32Array;
  port: MessagePort;
}

export type FetchAnswer = { ok: true; response: FetchResponse } | { ok: false; error: string };

const FETCH_THREAD_FILE = path.join(__dirname, 'fetch-thread.js');

let helper: Worker | undefined;

// One helper per thread that runs scripts; it idles between calls and never keeps a process alive.
function fetchThread(): Worker {
  if (helper === undefined) {
    helper = new Worker(FETCH_THREAD_FILE);
    helper.unref();
    helper.on('error', () => undefined);
    helper.once('exit', () => {
      helper = undefined;
    });
  }
  return helper;
}

/** The host function behind a synchronous fetch: `(url, init)` in, the response (or a thrown error) out. */
export function blockingFetchHostFunction(allowlist: string[]): HostFunction {
  return ([url, init], call) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    try {
      const job = { url: String(url), init: (init ?? {}) as FetchInit, allowlist, deadline: call.deadline, flag, port: port2 };
      fetchThread().postMessage(job, [port2]);
      if (Atomics.wait(flag, 0, 0, Math.max(0, call.deadline - Date.now())) === 'timed-out') {
        throw new Error('fetch: aborted at the script deadline');
      }
      const answer = receiveMessageOnPort(port1)?.message as FetchAnswer | undefined;
      if (answer === undefined) throw new Error('fetch: the fetch thread gave no answer');
      if (!answer.ok) throw new Error(answer.error);
      return answer.response;
    } finally {
      port1.close();
    }
  };
}
