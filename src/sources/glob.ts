/**
 * Redis glob patterns (`*`, `?`, `[abc]`, `[^a-z]`, `\x`) matched against key bytes, as SCAN MATCH does,
 * so client-side `--key-include`/`--key-exclude` behave like the server's own matching.
 */

/** True when `key` matches `pattern` (both bytes). */
export function globMatch(pattern: Uint8Array, key: Uint8Array): boolean {
  return matchFrom(pattern, 0, key, 0);
}

function matchFrom(pattern: Uint8Array, p: number, key: Uint8Array, k: number): boolean {
  while (p < pattern.length) {
    const c = pattern[p];
    if (c === 0x2a) { // *
      while (p + 1 < pattern.length && pattern[p + 1] === 0x2a) p++;
      if (p + 1 === pattern.length) return true;
      for (let i = k; i <= key.length; i++) {
        if (matchFrom(pattern, p + 1, key, i)) return true;
      }
      return false;
    }
    if (k >= key.length) return false;
    if (c === 0x3f) { // ?
      p++;
      k++;
      continue;
    }
    if (c === 0x5b) { // [
      let q = p + 1;
      const negate = pattern[q] === 0x5e;
      if (negate) q++;
      let matched = false;
      while (q < pattern.length && pattern[q] !== 0x5d) {
        if (pattern[q] === 0x5c && q + 1 < pattern.length) {
          if (pattern[q + 1] === key[k]) matched = true;
          q += 2;
        } else if (q + 2 < pattern.length && pattern[q + 1] === 0x2d) { // a range; "]" may end it, as in Redis
          let low = pattern[q];
          let high = pattern[q + 2];
          if (low > high) [low, high] = [high, low];
          if (key[k] >= low && key[k] <= high) matched = true;
          q += 3;
        } else {
          if (pattern[q] === key[k]) matched = true;
          q++;
        }
      }
      if (matched === negate) return false;
      p = q + 1;
      k++;
      continue;
    }
    if (c === 0x5c && p + 1 < pattern.length) p++; // \x
    if (pattern[p] !== key[k]) return false;
    p++;
    k++;
  }
  return k === key.length;
}

/** A filter from include and exclude globs: kept when it matches any include (or none given) and no exclude. */
export function keyFilter(
  includes: string[],
  excludes: string[],
): ((key: Uint8Array) => boolean) | undefined {
  if (includes.length === 0 && excludes.length === 0) return undefined;
  const encoder = new TextEncoder();
  const inc = includes.map((glob) => encoder.encode(glob));
  const exc = excludes.map((glob) => encoder.encode(glob));
  return (key) =>
    (inc.length === 0 || inc.some((glob) => globMatch(glob, key))) &&
    !exc.some((glob) => globMatch(glob, key));
}
