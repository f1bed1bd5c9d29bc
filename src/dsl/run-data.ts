// The data of a run as nodes read it: each node run's outputs and where its inputs came from,
// and the tracing of n8n's paired items back through those runs ($('Node').item). Storage is
// the caller's (PostgreSQL in the worker); this file only reads through RunDataReader.
import type { Item, PairedItem } from './types';

/** The output a node run's input came from: output `output` of run `run` of `node`. */
export interface SourceRef {
  node: string;
  output: number;
  run: number;
}

/** One node run as stored. */
export interface StoredRun {
  /** Per input index. */
  source: (SourceRef | null)[];
  outputs: Item[][];
}

export interface RunDataReader {
  read(node: string, run: number): Promise<StoredRun | undefined>;
}

/** Most nodes one paired-item trace walks through before it gives up. */
export const TRACE_LIMIT = 1000;

export function pairedList(item: Item, index: number): PairedItem[] {
  const p = item.pairedItem;
  if (p === undefined) return [{ item: index }];
  if (typeof p === 'number') return [{ item: p }];
  return Array.isArray(p) ? p : [p];
}

/** Caches rows for the length of one node run. */
export function cachedReader(reader: RunDataReader): RunDataReader {
  const cache = new Map<string, Promise<StoredRun | undefined>>();
  return {
    read(node, run) {
      const key = JSON.stringify([node, run]);
      let hit = cache.get(key);
      if (hit === undefined) {
        hit = reader.read(node, run);
        cache.set(key, hit);
      }
      return hit;
    },
  };
}

/**
 * The item of `target` that item `index` of the running node's input 0 (which came from
 * `source[0]`) derives from, following pairedItem from run to run; or why there is none.
 */
export async function tracePairedItem(reader: RunDataReader, source: (SourceRef | null)[], index: number, target: string): Promise<Item | string> {
  let frontier: { from: SourceRef | null | undefined; index: number }[] = [{ from: source[0], index }];
  const found = new Map<string, Item>();
  for (let hop = 0; hop < TRACE_LIMIT && frontier.length > 0; hop++) {
    const next: typeof frontier = [];
    for (const c of frontier) {
      if (c.from === null || c.from === undefined) continue;
      const row = await reader.read(c.from.node, c.from.run);
      const item = row?.outputs[c.from.output]?.[c.index];
      if (item === undefined) continue;
      if (c.from.node === target) {
        found.set(JSON.stringify([c.from.run, c.from.output, c.index]), item);
        continue;
      }
      for (const p of pairedList(item, c.index)) next.push({ from: p.sourceOverwrite ?? row!.source[p.input ?? 0], index: p.item });
    }
    if (found.size > 0) break;
    frontier = next.slice(0, 10_000);
  }
  if (found.size === 1) return [...found.values()][0]!;
  if (found.size > 1) return `Multiple matching items for item [${index}] in node '${target}': use .first(), .last() or .all()[n] instead of .item`;
  return `Paired item data for item from node '${target}' is unavailable: it does not lead back to the current item [${index}]`;
}
