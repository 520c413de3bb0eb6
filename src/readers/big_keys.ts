/**
 * Reader (src/pipeline/stages.ts) that keeps big keys from being fetched whole: one pipelined round trip of
 * `MEMORY USAGE` per key (and `TYPE` for the few above the threshold); a key above `threshold` bytes becomes
 * a `big` record (named, not read:
 * the writer copies it from the source in windows, big_key_copy.ts), every other key goes to the wrapped
 * reader (DUMP or by type). Streams are the exception: they are read by the wrapped reader whole (a
 * windowed stream copy, groups and PELs included, is not built yet).
 *
 * Keys over --mem-limit are left to the wrapped reader, which skips and lists them; so --mem-limit keeps its
 * meaning when it is below the threshold. Refusals of MEMORY USAGE (a user without it) read the key normally.
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { Reader, ReadResult } from "../pipeline/stages.ts";
import type { RedisConnection } from "../redis/connection.ts";

/** Types copied in windows. */
const WINDOWED = new Set(["string", "list", "set", "zset", "hash"]);

export class BigKeyReader implements Reader {
  constructor(
    private readonly connection: () => RedisConnection,
    private readonly inner: Reader,
    private readonly threshold: number,
    private readonly memLimit?: number,
    /** Only keys of this type are read (live mode with --key-type); others go to the inner reader to drop. */
    private readonly type?: string,
  ) {}

  async read(keys: Uint8Array[]): Promise<ReadResult> {
    const connection = this.connection();
    const usage = await connection.pipelineKeys([["MEMORY", "USAGE"]], keys);
    const candidates = keys.filter((_, i) => {
      const bytes = usage[i];
      if (typeof bytes !== "number" || bytes <= this.threshold) return false;
      return this.memLimit === undefined || bytes <= this.memLimit; // over --mem-limit: skipped and listed
    });
    const types = candidates.length > 0 ? await connection.pipelineKeys([["TYPE"]], candidates) : [];
    const big = new Map<Uint8Array, string>();
    candidates.forEach((key, i) => {
      const name = types[i] instanceof ErrorReply ? "" : toText(types[i]);
      if (WINDOWED.has(name) && (this.type === undefined || name === this.type)) big.set(key, name);
    });
    const small = keys.filter((key) => !big.has(key));
    const result = small.length > 0
      ? await this.inner.read(small)
      : { records: [], skipped: [], failures: [] };
    keys.forEach((key, i) => {
      const type = big.get(key);
      if (type !== undefined) result.records.push({ kind: "big", key, type, bytes: usage[i] as number });
    });
    return result;
  }
}
