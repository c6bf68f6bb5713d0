// Redis's partial sort (its pqsort): Bentley and McIlroy's quicksort that only recurses
// into the parts overlapping the ranks wanted. Redis uses it where a command keeps only
// the first results (GEOSEARCH with COUNT, SORT ... BY with LIMIT); elements that
// compare equal end up in the order this particular algorithm leaves them, which is
// why it is reproduced step by step rather than replaced by a stable sort.

/**
 * Sorts `v` enough for ranks `lo`..`hi` (inclusive) to hold the elements a full sort
 * would put there, in order, with ties placed as Redis's pqsort places them.
 */
export function partialSort<T>(v: T[], cmp: (a: T, b: T) => number, lo: number, hi: number): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const insertion = (a: number, n: number) => {
    for (let m = a + 1; m < a + n; m++) {
      for (let l = m; l > a && cmp(v[l - 1], v[l]) > 0; l--) swap(l, l - 1);
    }
  };
  const med3 = (a: number, b: number, c: number) =>
    cmp(v[a], v[b]) < 0
      ? (cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a)
      : (cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c);
  const overlaps = (a: number, n: number) => !(hi < a || lo > a + n - 1);
  const run = (a: number, n: number): void => {
    for (;;) {
      if (n < 7) return insertion(a, n);
      let pm = a + Math.floor(n / 2);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1, pb = a + 1;
      let pc = a + n - 1, pd = a + n - 1;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const end = a + n;
      let r = Math.min(pa - a, pb - pa);
      for (let k = 0; k < r; k++) swap(a + k, pb - r + k);
      r = Math.min(pd - pc, end - pd - 1);
      for (let k = 0; k < r; k++) swap(pb + k, end - r + k);
      if ((r = pb - pa) > 1 && overlaps(a, r)) run(a, r);
      if ((r = pd - pc) <= 1 || !overlaps(end - r, r)) return;
      a = end - r;
      n = r;
    }
  };
  run(0, v.length);
}
