// Strings in declared state (object names, field lists, violation messages, freedBy...) are kept
// as 32-bit ids. An id is a hash of the string's content, not an insertion index: the same string
// has the same id in every process and worker, so state vectors compare across them.
const byId = new Map<number, string>();
const lists = new Map<number, readonly string[]>();

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h | 0;
}

/** The id of a string (interned on first use). Id 0 is the empty string. */
export function sid(s: string): number {
  if (s === '') return 0;
  let h = fnv1a(s, 0x811c9dc5) || 1;
  for (;;) {
    const o = byId.get(h);
    if (o === undefined) { byId.set(h, s); return h; }
    if (o === s) return h;
    // A collision of two different strings: probe deterministically (by content, so every
    // process agrees as long as both strings are interned in the same order).
    h = fnv1a(s, h) || 1;
  }
}

export function str(id: number): string {
  if (id === 0) return '';
  const s = byId.get(id);
  if (s === undefined) throw new Error(`internal: unknown string id ${id}`);
  return s;
}

/** An interned list of strings (an object's field names): one id for the whole list. */
export function listId(l: readonly string[]): number {
  const id = sid('\u0001' + l.join('\u0002'));
  if (!lists.has(id)) lists.set(id, l);
  return id;
}
export function list(id: number): readonly string[] {
  const l = lists.get(id);
  if (l === undefined) throw new Error(`internal: unknown list id ${id}`);
  return l;
}

// ---- passing strings between threads (verify-bfs.ts sends states to other workers) ----------

/** The strings interned so far, from the n-th on (in interning order). */
export function stringsFrom(n: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (const s of byId.values()) if (i++ >= n) out.push(s);
  return out;
}
export function stringCount(): number {
  return byId.size;
}
/** Intern strings another thread interned (lists too), so ids it sends can be read here. */
export function learnStrings(ss: string[]) {
  for (const s of ss) {
    const id = sid(s);
    if (s.startsWith('\u0001') && !lists.has(id)) lists.set(id, s === '\u0001' ? [] : s.slice(1).split('\u0002'));
  }
}
