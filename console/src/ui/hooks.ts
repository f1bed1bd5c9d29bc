import { useEffect, useSyncExternalStore } from 'react';
import { useSearchParams } from 'react-router';

// One clock for every relative time on the page: a single timer, and a component re-renders
// only when its own period (10 s for ages, 1 s for "updated 3 s ago") has passed.
const ticks = new Set<() => void>();
let clock: number | undefined;

function subscribe(onTick: () => void): () => void {
  ticks.add(onTick);
  clock ??= window.setInterval(() => ticks.forEach((t) => t()), 1000);
  return () => {
    ticks.delete(onTick);
    if (ticks.size === 0) {
      window.clearInterval(clock);
      clock = undefined;
    }
  };
}

/** The current time, rounded down to `everyMs`, so relative ages stay true. */
export function useNow(everyMs = 10_000): number {
  return useSyncExternalStore(subscribe, () => Math.floor(Date.now() / everyMs) * everyMs);
}

/** Filters kept in the URL, so every view has a link and survives a reload. */
export function useFilters<K extends string>(
  keys: readonly K[],
  { replace = false }: { replace?: boolean } = {},
): [Partial<Record<K, string>>, (next: Partial<Record<K, string | undefined>>) => void] {
  const [params, setParams] = useSearchParams();
  const values: Partial<Record<K, string>> = {};
  for (const k of keys) {
    const v = params.get(k);
    if (v !== null && v !== '') values[k] = v;
  }
  const set = (next: Partial<Record<K, string | undefined>>) => {
    const merged = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next) as [K, string | undefined][]) {
      if (v === undefined || v === '') merged.delete(k);
      else merged.set(k, v);
    }
    setParams(merged, { replace });
  };
  return [values, set];
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Cadenza`;
  }, [title]);
}
