/**
 * Synthetic data for tests, demos and benchmarks: which keys, which commands, and `generate()`, which
 * writes them to one Redis.
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
 *
 * Everything above `generate()` is pure.
 */
import { type Command, type CommandArg, ErrorReply } from "../../resp/mod.ts";
import { connect } from "../redis/connect.ts";
import type { RedisConnection } from "../redis/connection.ts";
import type { ConnectionOptions } from "../redis/options.ts";

export type DataType = "string" | "hash" | "list" | "set" | "zset" | "stream";
export const DATA_TYPES: readonly DataType[] = ["string", "hash", "list", "set", "zset", "stream"];

/** One type and how many turns it gets in the cycle. */
export interface TypeShare {
  type: DataType;
  weight: number;
}

export interface GenerateConfig {
  /** Keys to write. */
  count: number;
  /** Key prefix: keys are `keyspace:type:n`. */
  keyspace: string;
  types: readonly TypeShare[];
  /** Bytes per string value. */
  stringSize: number;
  hashFields: number;
  listSize: number;
  setSize: number;
  zsetSize: number;
  streamSize: number;
  /** Bytes per hash value, list element, set and zset member, stream value. */
  fieldSize: number;
  /** Fraction (0..1) of keys that get a TTL. */
  ttlRatio: number;
  ttlMinMs: number;
  ttlMaxMs: number;
  /** 32-bit seed: same seed, same bytes. */
  seed: number;
  /** Values may hold any byte (else letters, digits, `-`, `_`). */
  binary: boolean;
  /** Writes per pipeline: a command, or one key of an MSET (a key's commands are never split). */
  batch: number;
  /** Connections. */
  threads: number;
  /** Pipelines in flight per connection. */
  inflight: number;
}

export const DEFAULT_GENERATE_CONFIG: Readonly<GenerateConfig> = Object.freeze({
  count: 1000,
  keyspace: "gen",
  types: Object.freeze(DATA_TYPES.map((type) => Object.freeze({ type, weight: 1 }))),
  stringSize: 100,
  hashFields: 10,
  listSize: 10,
  setSize: 10,
  zsetSize: 10,
  streamSize: 10,
  fieldSize: 10,
  ttlRatio: 0,
  ttlMinMs: 60_000,
  ttlMaxMs: 3_600_000,
  seed: 0,
  binary: false,
  batch: 1000,
  threads: 2,
  inflight: 4,
});

/** Largest weight of one type (keeps the cycle short). */
const MAX_WEIGHT = 1000;
/** Elements per RPUSH/SADD/ZADD/HSET command; bigger collections take several. */
const CHUNK = 1000;
/** How many error replies `generate()` keeps the text of. */
const ERROR_SAMPLES = 5;
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
/** Most keys, and bytes of values, in one MSET. */
const MSET_KEYS = 100;
const MSET_BYTES = 64 * 1024;
/** Values are carved from arenas of this size. */
const ARENA_BYTES = 256 * 1024;
const SALT_DATA = 0x2545f491;
const SALT_TTL = 0x68e31da4;

/**
 * `["string", "hash:3"]` -> shares. Throws RangeError (one line, naming the bad item) for an unknown type,
 * a bad weight, a type listed twice or an empty list.
 */
export function parseTypes(items: readonly string[]): TypeShare[] {
  const shares: TypeShare[] = [];
  for (const item of items) {
    const [name, weightText, ...more] = item.trim().split(":");
    const type = name.toLowerCase() as DataType;
    if (!DATA_TYPES.includes(type)) {
      throw new RangeError(`unknown data type '${name}' (use ${DATA_TYPES.join(", ")})`);
    }
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (more.length > 0 || !/^\d+$/.test(weightText ?? "1") || weight < 1 || weight > MAX_WEIGHT) {
      throw new RangeError(`bad weight in '${item}': use TYPE or TYPE:N with N from 1 to ${MAX_WEIGHT}`);
    }
    if (shares.some((share) => share.type === type)) throw new RangeError(`'${type}' is listed twice`);
    shares.push({ type, weight });
  }
  if (shares.length === 0) throw new RangeError("no data type given");
  return shares;
}

/** Defaults filled in and every field checked; throws RangeError naming the first bad field. */
export function resolveGenerateConfig(partial: Partial<GenerateConfig> = {}): GenerateConfig {
  const config: GenerateConfig = { ...DEFAULT_GENERATE_CONFIG, ...partial };
  const whole = (name: keyof GenerateConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = config[name] as number;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
    }
  };
  whole("count", 0);
  for (const name of ["stringSize", "fieldSize"] as const) whole(name, 0, 512 * 1024 * 1024);
  for (const name of ["hashFields", "listSize", "setSize", "zsetSize", "streamSize"] as const) {
    whole(name, 1, 100_000_000);
  }
  whole("ttlMinMs", 1);
  whole("ttlMaxMs", config.ttlMinMs);
  whole("seed", 0, 0xffffffff);
  whole("batch", 1);
  whole("threads", 1, 256);
  whole("inflight", 1, 1024);
  if (!(config.ttlRatio >= 0 && config.ttlRatio <= 1)) {
    throw new RangeError(`ttlRatio must be from 0 to 1 (got ${config.ttlRatio})`);
  }
  if (config.keyspace.length === 0) throw new RangeError("keyspace must not be empty");
  if (config.types.length === 0) throw new RangeError("types must not be empty");
  return config;
}

/** A 32-bit mixing bijection (murmur3's finalizer). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seed of the generator of key n (from 1) of type index `type`, for one purpose (`salt`). */
export function keySeed(seed: number, type: number, n: number, salt: number): number {
  const high = Math.floor(n / 0x1_0000_0000);
  return mix32((mix32(mix32(seed ^ salt) ^ (n >>> 0)) + Math.imul(high + 1, 0x9e3779b1) + type) >>> 0);
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    const t0 = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(t0 ^ (t0 >>> 15), t0 | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Fill `out[from, to)`: any byte when `binary`, else 5 characters of TEXT_ALPHABET per 32 bits. */
  fill(out: Uint8Array, from: number, to: number, binary: boolean): void {
    let i = from;
    if (binary) {
      while (i + 4 <= to) {
        const r = this.next();
        out[i] = r;
        out[i + 1] = r >>> 8;
        out[i + 2] = r >>> 16;
        out[i + 3] = r >>> 24;
        i += 4;
      }
      if (i < to) {
        let r = this.next();
        while (i < to) {
          out[i++] = r;
          r >>>= 8;
        }
      }
      return;
    }
    while (i < to) {
      let r = this.next();
      const end = Math.min(to, i + 5);
      while (i < end) {
        out[i++] = TEXT_ALPHABET[r & 63];
        r >>>= 6;
      }
    }
  }
}

const TEXT_ALPHABET = new TextEncoder().encode(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
);

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

/** Counters passed to the progress callback after each pipeline. */
export interface GenerateProgress {
  keys: number;
  commands: number;
  errors: number;
}

export interface GenerateResult extends GenerateProgress {
  /** Up to 5 error replies, as `COMMAND key: message`. */
  firstErrors: string[];
  /** Wall time, connections included. */
  seconds: number;
  keysPerSecond: number;
  seed: number;
}

/**
 * Write `config.count` keys to the server of `connectionOptions` over `threads` connections, each with
 * `inflight` pipelines of about `batch` commands in flight. Resolves once every reply is in: error replies
 * (OOM, WRONGTYPE, ...) do not stop the run, they are counted in `errors` and the first few kept in
 * `firstErrors`. Rejects with the ConnectionError when a connection fails (the others are closed); a bad
 * config rejects with RangeError before connecting. `onProgress` sees the shared counters (do not keep it).
 */
export async function generate(
  connectionOptions: ConnectionOptions,
  config: Partial<GenerateConfig> = {},
  onProgress?: (progress: Readonly<GenerateProgress>) => void,
): Promise<GenerateResult> {
  const resolved = resolveGenerateConfig(config);
  const data = new DataGenerator(resolved);
  const started = performance.now();
  const counters: GenerateProgress = { keys: 0, commands: 0, errors: 0 };
  const firstErrors: string[] = [];
  const connections: RedisConnection[] = [];
  let next = 0;

  async function worker(connection: RedisConnection): Promise<void> {
    while (next < resolved.count) {
      const commands: Command[] = [];
      const first = next;
      next = data.batch(first, resolved.count, resolved.batch, commands);
      const keys = next - first; // read before awaiting: other workers move `next` meanwhile
      const replies = await connection.pipeline(commands);
      for (let i = 0; i < replies.length; i++) {
        const reply = replies[i];
        if (!(reply instanceof ErrorReply)) continue;
        counters.errors++;
        if (firstErrors.length < ERROR_SAMPLES) {
          const command = commands[i];
          const more = command[0] === MSET && command.length > 3 ? " ..." : "";
          firstErrors.push(`${text(command[0])} ${text(command[1])}${more}: ${reply.message}`);
        }
      }
      counters.keys += keys;
      counters.commands += commands.length;
      onProgress?.(counters);
    }
  }

  try {
    const opened = await Promise.allSettled(
      Array.from({ length: resolved.threads }, () => connect(connectionOptions)),
    );
    for (const result of opened) if (result.status === "fulfilled") connections.push(result.value);
    const failed = opened.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await Promise.all(
      connections.flatMap((connection) =>
        Array.from({ length: resolved.inflight }, () => worker(connection))
      ),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    ...counters,
    firstErrors,
    seconds,
    keysPerSecond: seconds > 0 ? counters.keys / seconds : 0,
    seed: resolved.seed,
  };
}

function text(arg: Command[number]): string {
  return arg instanceof Uint8Array ? new TextDecoder().decode(arg) : String(arg);
}
