// Child processes of `cadenza start` run in their own process group, so a Ctrl-C reaches only
// the supervisor, which then stops them in order (API, worker, then Temporal and PostgreSQL).
// Their pids are recorded so a later start can stop leftovers of a supervisor that was killed.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** True once it has ended, by an exit code or by a signal. */
  hasExited(): boolean;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** SIGKILLs the child's process group at once. */
  kill(): void;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const child = spawn(command, args, { ...options, detached: true });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    process: child,
    exited,
    hasExited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
      if (hasExited()) return;
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      killGroup(child.pid, 'SIGKILL');
    },
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until something accepts TCP connections on host:port, or the deadline passes. */
export async function waitForPort(host: string, port: number, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed?.();
    if (why !== undefined) throw new Error(why);
    if (await canConnect(host, port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    // A port in a half-closed state may never answer: count that as not listening.
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive free ports (a Temporal server takes nine), below 32768: the
 * server stores its membership ports in a smallint column, and the OS hands out ephemeral ports
 * (freePort) above it.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const first = 10_000 + Math.floor(Math.random() * (32_767 - 10_000 - count));
    let free = true;
    for (let p = first; p < first + count && free; p++) free = await canListen(p);
    if (free) return first;
  }
  throw new Error(`found no ${count} consecutive free ports`);
}

export async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (await canConnect(host, port)) {
    throw new Error(`port ${port} on ${host} is already in use; stop what uses it or set ${variable}`);
  }
}

/** Records child pids so the next start can clean up after a supervisor that was SIGKILLed. */
export class PidFile {
  constructor(private readonly file: string) {}

  /** `match` is a string the process's command line must contain, to survive pid reuse. */
  write(entries: Record<string, { pid: number | undefined; match: string }>): void {
    fs.writeFileSync(this.file, JSON.stringify(entries));
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }

  private read(): Record<string, { pid: number; match: string }> {
    if (!fs.existsSync(this.file)) return {};
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, { pid: number; match: string }>;
    } catch {
      return {};
    }
  }

  private ours(entry: { pid: number; match: string } | undefined): entry is { pid: number; match: string } {
    if (entry?.pid === undefined || entry.pid === process.pid || !isAlive(entry.pid)) return false;
    try {
      return fs.readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8').includes(entry.match);
    } catch {
      return false;
    }
  }

  /** The pid of a live supervisor that owns this data folder, if any. */
  liveSupervisor(): number | undefined {
    const entry = this.read().supervisor;
    return this.ours(entry) ? entry.pid : undefined;
  }

  /** Stops process groups left by a previous supervisor; returns their names. */
  async killLeftovers(): Promise<string[]> {
    const leftovers = Object.entries(this.read()).filter(([name, e]) => name !== 'supervisor' && this.ours(e));
    for (const [, e] of leftovers) killGroup(e.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (leftovers.some(([, e]) => isAlive(e.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const [, e] of leftovers) if (isAlive(e.pid)) killGroup(e.pid, 'SIGKILL');
    this.remove();
    return leftovers.map(([name]) => name);
  }
}
