/**
 * The distinct keys a liveonly run copied, for its verification (that mode promises the changed keys, not
 * the whole database). Bounded: past `limit` keys the rest are not remembered, and `overflowed` says how
 * many were left out.
 */
import { keyId } from "../bytes.ts";

const LIMIT = 1_000_000;

export class ChangedKeys {
  private readonly seen = new Map<string, Uint8Array>();
  overflowed = 0;

  constructor(private readonly limit = LIMIT) {}

  add(keys: Uint8Array[]): void {
    for (const key of keys) {
      const id = keyId(key);
      if (this.seen.has(id)) continue;
      if (this.seen.size >= this.limit) this.overflowed++;
      else this.seen.set(id, key);
    }
  }

  keys(): Uint8Array[] {
    return [...this.seen.values()];
  }
}
