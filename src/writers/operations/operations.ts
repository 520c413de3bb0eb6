/**
 * The write operations, by name (`createOperation`). Each takes --keyspace, --key (joined by
 * --key-separator) and --ignore-missing; what else each reads from the record:
 *
 *   hset      HSET key f v ...            every field (--include / --exclude), null fields left out
 *   set       SET key value               the record as a JSON object, or the raw --field
 *   rpush     RPUSH key member            member = --member-space + the --member fields joined
 *   lpush     LPUSH key member
 *   sadd      SADD key member
 *   zadd      ZADD key score member       --score FIELD (else --score-default), must be a number
 *   xadd      XADD key [MAXLEN [~] n] * f v ...   every field (--include / --exclude)
 *   geoadd    GEOADD key lon lat member   --lon FIELD, --lat FIELD, numbers in range
 *   expire    PEXPIRE key ttl | PEXPIREAT key time (--abs)   --ttl MS or --ttl-field FIELD; 0 or less
 *             from a field leaves the key alone (no expiry)
 *   del       DEL key
 *   json.set  JSON.SET key path json      the record as JSON (or the raw --field), --path ($)
 *   ts.add    TS.ADD key timestamp value  --timestamp FIELD (or * for the server's clock), --value FIELD
 */
import type { Command, CommandArg } from "../../../resp/mod.ts";
import { type Fields, type FieldValue, toArg, toNumber, toText } from "../../expr/mod.ts";
import { joinParts, KeyBuilder } from "./key.ts";
import { type OperationOptions, type OperationWrite, RecordError, type WriteOperation } from "./operation.ts";

export const OPERATION_NAMES = [
  "hset",
  "set",
  "rpush",
  "lpush",
  "sadd",
  "zadd",
  "xadd",
  "geoadd",
  "expire",
  "del",
  "json.set",
  "ts.add",
] as const;

export type OperationName = typeof OPERATION_NAMES[number];

/** One record's command for this operation, or undefined when it has nothing to send (expire with no TTL). */
type Build = (key: Uint8Array, fields: Fields) => Command | undefined;

export function createOperation(name: OperationName, options: OperationOptions): WriteOperation {
  const keys = new KeyBuilder(options, name);
  const build = builder(name, options);
  return {
    name,
    ignoreMissing: options.ignoreMissing,
    write(fields: Fields): OperationWrite {
      const key = keys.build(fields);
      const command = build(key, fields);
      return { key, commands: command === undefined ? [] : [command] };
    },
  };
}

function builder(name: OperationName, options: OperationOptions): Build {
  switch (name) {
    case "hset":
      return (key, fields) => pairs(["HSET", key], fields, options, "hset");
    case "xadd": {
      const trim: (string | number)[] = options.maxlen === undefined
        ? []
        : ["MAXLEN", ...(options.approximate ? ["~"] : []), options.maxlen];
      return (key, fields) => pairs(["XADD", key, ...trim, "*"], fields, options, "xadd");
    }
    case "set":
      return (key, fields) => ["SET", key, document(fields, options)];
    case "json.set":
      return (key, fields) => ["JSON.SET", key, options.path ?? "$", document(fields, options)];
    case "rpush":
    case "lpush":
    case "sadd": {
      const verb = name.toUpperCase();
      const member = memberOf(options, name);
      return (key, fields) => [verb, key, member(fields)];
    }
    case "zadd": {
      const member = memberOf(options, name);
      return (key, fields) => ["ZADD", key, score(fields, options), member(fields)];
    }
    case "geoadd": {
      const member = memberOf(options, name);
      const lon = required(options.lon, "geoadd needs --lon FIELD (the longitude)");
      const lat = required(options.lat, "geoadd needs --lat FIELD (the latitude)");
      return (key, fields) => [
        "GEOADD",
        key,
        coordinate(fields, lon, 180, "longitude"),
        coordinate(fields, lat, 85.05112878, "latitude"),
        member(fields),
      ];
    }
    case "expire":
      return expire(options);
    case "del":
      return (key) => ["DEL", key];
    case "ts.add": {
      const valueField = required(options.value, "ts.add needs --value FIELD (the sample's value)");
      return (key, fields) => [
        "TS.ADD",
        key,
        options.timestamp === undefined ? "*" : numberField(fields, options.timestamp, "timestamp"),
        numberField(fields, valueField, "value"),
      ];
    }
  }
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new RangeError(message);
  return value;
}

/**
 * `head` followed by the fields as field/value pairs: --include, else all but --exclude; null values left
 * out. RecordError when no field is left.
 */
function pairs(
  head: CommandArg[],
  fields: Fields,
  options: OperationOptions,
  operation: string,
): CommandArg[] {
  const out = head;
  const start = head.length;
  if (options.include && options.include.length > 0) {
    for (const name of options.include) {
      const value = fields.get(name);
      if (value !== undefined && value !== null) out.push(name, toArg(value));
    }
  } else {
    const excluded = options.exclude;
    for (const [name, value] of fields) {
      if (value !== null && (excluded === undefined || !excluded.includes(name))) {
        out.push(name, toArg(value));
      }
    }
  }
  if (out.length === start) throw new RecordError(`${operation}: the record has no fields to write`);
  return out;
}

function selected(fields: Fields, options: OperationOptions): [string, FieldValue][] {
  if (options.include && options.include.length > 0) {
    return options.include.filter((name) => fields.has(name)).map((name) => [name, fields.get(name)!]);
  }
  const excluded = new Set(options.exclude ?? []);
  return [...fields].filter(([name]) => !excluded.has(name));
}

/** set / json.set: the raw --field, or the selected fields as a JSON object. */
function document(fields: Fields, options: OperationOptions): string | Uint8Array {
  if (options.field !== undefined) {
    const value = fields.get(options.field);
    if (value === undefined || value === null) {
      throw new RecordError(`the value field '${options.field}' is missing`, true);
    }
    return toArg(value);
  }
  const object: Record<string, unknown> = {};
  for (const [name, value] of selected(fields, options)) object[name] = jsonValue(value);
  return JSON.stringify(object);
}

function jsonValue(value: FieldValue): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return toText(value);
  if (value instanceof Date) return value.getTime();
  return value;
}

function memberOf(options: OperationOptions, operation: string): (fields: Fields) => Uint8Array {
  const members = options.members ?? [];
  if (members.length === 0 && options.memberSpace === undefined) {
    throw new RangeError(`${operation} needs --member FIELD (the member's value)`);
  }
  return (fields) => joinParts(options.memberSpace, fields, members, options.keySeparator, "member");
}

function score(fields: Fields, options: OperationOptions): number {
  const field = options.score;
  const value = field === undefined ? undefined : fields.get(field);
  if (value === undefined || value === null || value === "") {
    if (options.scoreDefault !== undefined) return options.scoreDefault;
    if (field === undefined) throw new RangeError("zadd needs --score FIELD or --score-default N");
    throw new RecordError(`the score field '${field}' is missing`, true);
  }
  const number = toNumber(value);
  if (Number.isNaN(number)) {
    throw new RecordError(`the score '${toText(value)}' (field '${field}') is not a number`);
  }
  return number;
}

function numberField(fields: Fields, field: string, what: string): number {
  const value = fields.get(field);
  if (value === undefined || value === null || value === "") {
    throw new RecordError(`the ${what} field '${field}' is missing`, true);
  }
  const number = toNumber(value);
  if (Number.isNaN(number)) {
    throw new RecordError(`the ${what} '${toText(value)}' (field '${field}') is not a number`);
  }
  return number;
}

function coordinate(fields: Fields, field: string, limit: number, what: string): number {
  const number = numberField(fields, field, what);
  if (Math.abs(number) > limit) {
    throw new RecordError(`the ${what} ${number} (field '${field}') is out of range (-${limit} to ${limit})`);
  }
  return number;
}

function expire(options: OperationOptions): Build {
  if (options.ttl === undefined && options.ttlField === undefined) {
    throw new RangeError("expire needs --ttl MS or --ttl-field FIELD");
  }
  const verb = options.abs ? "PEXPIREAT" : "PEXPIRE";
  return (key, fields) => {
    const ttl = options.ttlField === undefined
      ? options.ttl!
      : Math.round(numberField(fields, options.ttlField, options.abs ? "expiry time" : "TTL"));
    return ttl > 0 ? [verb, key, ttl] : undefined;
  };
}
