/**
 * `riot generate`'s configuration: the data types and their weights (`parseTypes()`), every setting with its
 * default, and `resolveGenerateConfig()`, which fills in defaults and checks every field. Pure.
 */

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
