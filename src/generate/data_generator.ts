/**
 * Synthetic data for tests, demos and benchmarks: which keys, and the commands that write them. Pure: it
 * builds commands from the config alone; `generate()` (generate_data.ts) sends them.
 *
 * Key layout. Types take turns in a fixed cycle built from their weights (`string:3,hash` gives
 * string, string, hash, string ...: smooth weighted round robin). The n-th key of a type (n from 1) is
 * `KEYSPACE:TYPE:n`, so `--count 4 --types string,hash` writes gen:string:1, gen:hash:1, gen:string:2,
 * gen:hash:2.
 *
 * Data. Every key has its own mulberry32 generator seeded from (seed, type, n): the bytes of a key depend on
 * nothing else (not on --count, --types, --batch or --threads), and the same seed gives byte-identical
 * data. Values are letters, digits, `-` and `_`, or any byte with `binary`. Members of sets and sorted sets
 * start with `<j>:` so they are distinct; hash fields are `field:<j>`; stream entries have IDs `<j>-0` and
 * one field `value`. Collections are deleted first (DEL), so a second run rewrites the same keys.
 * A TTL (PEXPIRE, or SET ... PX) goes on a key when its own TTL generator says so (`ttlRatio`); TTLs are
 * repeatable as durations, not as absolute times. Strings without a TTL are written with MSET, up to 100
 * keys per command (several times less work for the server than one SET each).
 */
import type { Command, CommandArg } from "../../resp/mod.ts";
import { DATA_TYPES, type DataType, type GenerateConfig, type TypeShare } from "./generate_config.ts";
import { keySeed, Prng } from "./prng.ts";

/** Elements per RPUSH/SADD/ZADD/HSET command; bigger collections take several. */
const CHUNK = 1000;
const utf8 = new TextEncoder();
/** Command names, as bytes. */
const [MSET, SET, PX, DEL, HSET, RPUSH, SADD, ZADD, XADD, PEXPIRE] = [
  "MSET",
  "SET",
  "PX",
  "DEL",
  "HSET",
  "RPUSH",
  "SADD",
  "ZADD",
  "XADD",
  "PEXPIRE",
].map((name) => utf8.encode(name));
/** `generate()` tells an MSET command by its name being this very array. */
export { MSET };
/** Most keys, and bytes of values, in one MSET. */
const MSET_KEYS = 100;
const MSET_BYTES = 64 * 1024;
/** Values are carved from arenas of this size. */
const ARENA_BYTES = 256 * 1024;
const SALT_DATA = 0x2545f491;
const SALT_TTL = 0x68e31da4;

/** The type cycle: `order[k]` is the type index at position k, `rank[k]` its turn among that type's. */
function buildCycle(shares: readonly TypeShare[]): { order: number[]; rank: number[] } {
  const total = shares.reduce((sum, share) => sum + share.weight, 0);
  const current = shares.map(() => 0);
  const seen = shares.map(() => 0);
  const order: number[] = [];
  const rank: number[] = [];
  for (let k = 0; k < total; k++) {
    let best = 0;
    for (let t = 0; t < shares.length; t++) {
      current[t] += shares[t].weight;
      if (current[t] > current[best]) best = t;
    }
    current[best] -= total;
    order.push(best);
    rank.push(seen[best]++);
  }
  return { order, rank };
}

/** Keys of each type among the first `count`, for the cycle of `shares`. */
export function countsByType(shares: readonly TypeShare[], count: number): Record<DataType, number> {
  const { order } = buildCycle(shares);
  const counts = Object.fromEntries(DATA_TYPES.map((type) => [type, 0])) as Record<DataType, number>;
  const rounds = Math.floor(count / order.length);
  for (const share of shares) counts[share.type] += rounds * share.weight;
  for (let k = 0; k < count % order.length; k++) counts[shares[order[k]].type]++;
  return counts;
}

/** Builds the commands of each key from the config alone (pure). */
export class DataGenerator {
  private readonly order: number[];
  private readonly rank: number[];
  private readonly prefixes: string[];
  private readonly prefixBytes: Uint8Array[];
  private readonly typeIds: number[];
  private arena = new Uint8Array(0);
  private arenaAt = 0;

  constructor(readonly config: GenerateConfig) {
    const cycle = buildCycle(config.types);
    this.order = cycle.order;
    this.rank = cycle.rank;
    this.prefixes = config.types.map((share) => `${config.keyspace}:${share.type}:`);
    this.prefixBytes = this.prefixes.map((prefix) => utf8.encode(prefix));
    this.typeIds = config.types.map((share) => DATA_TYPES.indexOf(share.type));
  }

  /** Type and per-type number (from 1) of key `index` (from 0). */
  locate(index: number): { type: DataType; n: number; share: number } {
    const length = this.order.length;
    const position = index % length;
    const share = this.order[position];
    const n = Math.floor(index / length) * this.config.types[share].weight + this.rank[position] + 1;
    return { type: this.config.types[share].type, n, share };
  }

  /** The name of key `index` (from 0). */
  keyName(index: number): string {
    const { n, share } = this.locate(index);
    return `${this.prefixes[share]}${n}`;
  }

  /**
   * Append to `out` the commands of the keys from `from` on, until `budget` writes (a command, or one key
   * of an MSET) or `end`; returns the index of the next key. Strings without a TTL are grouped into MSET
   * commands of up to 100 keys (64 KiB): for the server that is several times less work than one SET each.
   */
  batch(from: number, end: number, budget: number, out: Command[]): number {
    let index = from;
    let writes = 0;
    let mset: CommandArg[] | undefined;
    let msetBytes = 0;
    while (index < end && writes < budget) {
      mset ??= [MSET];
      const appended = this.commandsFor(index++, out, mset);
      if (appended > 0) {
        writes += appended;
        continue;
      }
      writes++;
      msetBytes += (mset[mset.length - 1] as Uint8Array).length;
      if (mset.length > MSET_KEYS * 2 || msetBytes > MSET_BYTES) {
        out.push(mset);
        mset = undefined;
        msetBytes = 0;
      }
    }
    if (mset !== undefined && mset.length > 1) out.push(mset);
    return index;
  }

  /**
   * Append the commands that write key `index` (from 0) to `out`; returns how many were appended. With
   * `mset` (an MSET being built), a string without a TTL is appended to it as `key value` instead.
   */
  commandsFor(index: number, out: Command[], mset?: CommandArg[]): number {
    const config = this.config;
    const length = this.order.length;
    const position = index % length;
    const share = this.order[position];
    const n = Math.floor(index / length) * config.types[share].weight + this.rank[position] + 1;
    const type = config.types[share].type;
    const key = this.keyBytes(share, n);
    const typeId = this.typeIds[share];
    const rng = new Prng(keySeed(config.seed, typeId, n, SALT_DATA));
    let ttl = 0;
    if (config.ttlRatio > 0) {
      const ttlRng = new Prng(keySeed(config.seed, typeId, n, SALT_TTL));
      if (ttlRng.float() < config.ttlRatio) {
        ttl = config.ttlMinMs + Math.floor(ttlRng.float() * (config.ttlMaxMs - config.ttlMinMs + 1));
      }
    }
    const before = out.length;
    if (type === "string") {
      const value = this.bytes(rng, config.stringSize);
      if (mset !== undefined && ttl === 0) {
        mset.push(key, value);
        return 0;
      }
      out.push(ttl > 0 ? [SET, key, value, PX, ttl] : [SET, key, value]);
      return 1;
    }
    out.push([DEL, key]);
    switch (type) {
      case "hash":
        this.chunked(out, [HSET, key], config.hashFields, (j, args) => {
          args.push(`field:${j}`, this.bytes(rng, config.fieldSize));
        });
        break;
      case "list":
        this.chunked(out, [RPUSH, key], config.listSize, (_j, args) => {
          args.push(this.bytes(rng, config.fieldSize));
        });
        break;
      case "set":
        this.chunked(out, [SADD, key], config.setSize, (j, args) => {
          args.push(this.member(rng, j));
        });
        break;
      case "zset":
        this.chunked(out, [ZADD, key], config.zsetSize, (j, args) => {
          args.push((rng.next() % 100_000) / 100, this.member(rng, j));
        });
        break;
      case "stream":
        for (let j = 1; j <= config.streamSize; j++) {
          out.push([XADD, key, `${j}-0`, "value", this.bytes(rng, config.fieldSize)]);
        }
        break;
    }
    if (ttl > 0) out.push([PEXPIRE, key, ttl]);
    return out.length - before;
  }

  /** Key `n` of the type at `share`, as bytes (the encoder copies bytes faster than it encodes text). */
  private keyBytes(share: number, n: number): Uint8Array {
    const prefix = this.prefixBytes[share];
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    const out = this.take(prefix.length + digits);
    for (let i = 0; i < prefix.length; i++) out[i] = prefix[i];
    for (let i = out.length - 1, rest = n; i >= prefix.length; i--, rest = Math.floor(rest / 10)) {
      out[i] = 48 + (rest % 10);
    }
    return out;
  }

  /**
   * A view of `size` fresh bytes, carved from a shared arena: allocating a small Uint8Array costs about
   * ten times more than a view, and this is the hot path.
   */
  private take(size: number): Uint8Array {
    if (this.arenaAt + size > this.arena.length) {
      this.arena = new Uint8Array(Math.max(ARENA_BYTES, size));
      this.arenaAt = 0;
    }
    return this.arena.subarray(this.arenaAt, this.arenaAt += size);
  }

  /** `size` random bytes. */
  private bytes(rng: Prng, size: number): Uint8Array {
    const out = this.take(size);
    rng.fill(out, 0, size, this.config.binary);
    return out;
  }

  /** Member j (from 1): `j:` then random bytes up to fieldSize (longer when the prefix does not fit). */
  private member(rng: Prng, j: number): Uint8Array {
    const prefix = `${j}:`;
    const out = this.take(Math.max(this.config.fieldSize, prefix.length));
    for (let i = 0; i < prefix.length; i++) out[i] = prefix.charCodeAt(i);
    rng.fill(out, prefix.length, out.length, this.config.binary);
    return out;
  }

  /** Commands `head ...items` with at most CHUNK items each; `add(j, args)` pushes item j (from 1). */
  private chunked(
    out: Command[],
    head: readonly Uint8Array[],
    size: number,
    add: (j: number, args: (string | number | Uint8Array)[]) => void,
  ): void {
    for (let start = 1; start <= size; start += CHUNK) {
      const args: (string | number | Uint8Array)[] = [...head];
      const end = Math.min(size, start + CHUNK - 1);
      for (let j = start; j <= end; j++) add(j, args);
      out.push(args);
    }
  }
}
