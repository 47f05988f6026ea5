// JSON that round-trips what task results hold: typed arrays, NaN and infinities, -0. A shard's
// partial result goes through it, so a merged run sees exactly the values a worker would have
// handed over by structured clone, and prints the same bytes.
export function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'number') {
      if (Number.isNaN(x)) return { $num: 'NaN' };
      if (x === Infinity) return { $num: 'Infinity' };
      if (x === -Infinity) return { $num: '-Infinity' };
      if (Object.is(x, -0)) return { $num: '-0' };
      return x;
    }
    if (x === undefined) return { $undef: 1 };
    if (x instanceof Int32Array) return { $i32: Array.from(x) };
    if (x instanceof Uint8Array) return { $u8: Array.from(x) };
    if (x instanceof Float64Array) return { $f64: Array.from(x, (y) => (Number.isFinite(y) && !Object.is(y, -0) ? y : { $num: String(y === 0 ? '-0' : y) })) };
    if (x instanceof Map) return { $map: [...x] };
    return x;
  });
}

const NUMS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export function decode(s: string): unknown {
  const rev = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(rev);
    const o = x as Record<string, unknown>;
    if ('$num' in o) return NUMS[o.$num as string];
    if ('$undef' in o) return undefined;
    if ('$i32' in o) return Int32Array.from(o.$i32 as number[]);
    if ('$u8' in o) return Uint8Array.from(o.$u8 as number[]);
    if ('$f64' in o) return Float64Array.from((o.$f64 as unknown[]).map((y) => rev(y) as number));
    if ('$map' in o) return new Map((o.$map as [unknown, unknown][]).map(([a, b]) => [rev(a), rev(b)]));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = rev(o[k]);
    return out;
  };
  return rev(JSON.parse(s));
}
