import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';

/** The current time, ticking every `everyMs`, so relative ages stay true. */
export function useNow(everyMs = 10_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Filters kept in the URL, so every view has a link and survives a reload. */
export function useFilters<K extends string>(keys: readonly K[]): [Partial<Record<K, string>>, (next: Partial<Record<K, string | undefined>>) => void] {
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
    setParams(merged);
  };
  return [values, set];
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Cadenza`;
  }, [title]);
}
