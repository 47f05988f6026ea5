// Looking up series and patches, and parsing --apply specs.
import { SERIES } from '../../patches/index.ts';
import type { PatchDef, SeriesDef } from '../model/patch.ts';
import { UsageError } from './errors.ts';

export function allSeries(): SeriesDef[] {
  return SERIES;
}

export function findSeries(id: string): SeriesDef {
  const s = SERIES.find((x) => x.id === id);
  if (!s) throw new UsageError(`unknown series '${id}' (known: ${SERIES.map((x) => x.id).join(', ') || 'none'})`);
  return s;
}

export function allPatches(): PatchDef[] {
  return SERIES.flatMap((s) => s.patches);
}

export function findPatch(id: string): PatchDef {
  const [sid, num] = id.split('/');
  const s = findSeries(sid);
  const p = s.patches.find((x) => x.id === id || x.index === Number(num));
  if (!p || !/^\d+$/.test(num ?? '')) throw new UsageError(`unknown patch '${id}' (series ${sid} has ${s.patches.length} patches)`);
  return p;
}

/** 'lazy-mm' | 'lazy-mm:1-16' | 'lazy-mm/16' -> patches in series order. */
export function parseSpec(spec: string): PatchDef[] {
  let m = /^([a-z0-9-]+)$/.exec(spec);
  if (m) return findSeries(m[1]).patches.slice();
  m = /^([a-z0-9-]+):(\d+)-(\d+)$/.exec(spec);
  if (m) {
    const s = findSeries(m[1]);
    const a = Number(m[2]);
    const b = Number(m[3]);
    if (a < 1 || b > s.patches.length || a > b) throw new UsageError(`bad range '${spec}': ${s.id} has patches 1-${s.patches.length}`);
    return s.patches.filter((p) => p.index >= a && p.index <= b);
  }
  m = /^([a-z0-9-]+)\/(\d+)$/.exec(spec);
  if (m) return [findPatch(spec)];
  throw new UsageError(`malformed patch spec '${spec}' (expected SERIES, SERIES:A-B, SERIES/N or a plugin path)`);
}
