// Deterministic checkpoint mutations for the fuzz harness: truncation, bit flips, byte splices.
// A small xorshift PRNG keeps every run reproducible from its seed.

export function prng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const int = (rand, n) => Math.floor(rand() * n);

/** One mutant of `bytes`: { kind, bytes, detail }. */
export function mutate(bytes, rand) {
  const k = rand();
  if (k < 0.3) {
    const cut = int(rand, bytes.length);
    return { kind: 'truncate', detail: `at ${cut}`, bytes: bytes.subarray(0, cut) };
  }
  const out = Uint8Array.from(bytes);
  if (k < 0.75) {
    const flips = 1 + int(rand, 4);
    const where = [];
    for (let i = 0; i < flips; i++) {
      const p = int(rand, out.length);
      out[p] ^= 1 << int(rand, 8);
      where.push(p);
    }
    return { kind: 'bitflip', detail: where.join(','), bytes: out };
  }
  // splice: copy a run of bytes from one place to another (duplicates opcodes, lengths, headers)
  const len = 1 + int(rand, 64);
  const from = int(rand, Math.max(1, out.length - len));
  const to = int(rand, Math.max(1, out.length - len));
  out.copyWithin(to, from, from + len);
  return { kind: 'splice', detail: `${len}@${from}→${to}`, bytes: out };
}
