/**
 * Reader (src/pipeline/stages.ts) that keeps big keys from being fetched whole: one pipelined round trip of
 * `MEMORY USAGE` + `TYPE` per key; a key above `threshold` bytes becomes a `big` record (named, not read:
 * the writer copies it from the source in windows, big_key_copy.ts), every other key goes to the wrapped
 * reader (DUMP or by type). Streams are the exception: they are read by the wrapped reader whole (a
 * windowed stream copy, groups and PELs included, is not built yet).
 *
 * Keys over --mem-limit are left to the wrapped reader, which skips and lists them; so --mem-limit keeps its
 * meaning when it is below the threshold. Refusals of MEMORY USAGE (a user without it) read the key normally.
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { KeyRecord } from "../pipeline/record.ts";
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
  ) {}

  async read(keys: Uint8Array[]): Promise<ReadResult> {
    const replies = await this.connection().pipelineKeys([["MEMORY", "USAGE"], ["TYPE"]], keys);
    const small: Uint8Array[] = [];
    const big: KeyRecord[] = [];
    keys.forEach((key, i) => {
      const [usage, type] = [replies[2 * i], replies[2 * i + 1]];
      const name = type instanceof ErrorReply ? "" : toText(type);
      const over = typeof usage === "number" && usage > this.threshold && WINDOWED.has(name);
      const skipped = this.memLimit !== undefined && typeof usage === "number" && usage > this.memLimit;
      if (over && !skipped) big.push({ kind: "big", key, type: name, bytes: usage as number });
      else small.push(key);
    });
    const result = small.length > 0
      ? await this.inner.read(small)
      : { records: [], skipped: [], failures: [] };
    result.records.push(...big);
    return result;
  }
}
