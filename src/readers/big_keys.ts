/**
 * Reader (src/pipeline/stages.ts) that keeps big keys from being fetched whole: one pipelined round trip of
 * `MEMORY USAGE` per key (and, for the few above 4 MB, `TYPE` and a member count); a key above `threshold`
 * bytes, or a collection of more than {@link BIG_ELEMENTS} members, becomes a `big` record (named, not read:
 * the writer copies it from the source in windows, big_key_copy.ts), every other key goes to the wrapped
 * reader (DUMP or by type). Streams are windowed too (XRANGE, with their groups and pending entries:
 * src/writers/big_stream_copy.ts).
 *
 * Keys over --mem-limit are left to the wrapped reader, which skips and lists them; so --mem-limit keeps its
 * meaning when it is below the threshold. Refusals of MEMORY USAGE (a user without it) read the key normally.
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { Reader, ReadResult } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";

/** Types copied in windows, and the command that counts their members. */
const COUNT: Record<string, string> = {
  string: "STRLEN",
  list: "LLEN",
  set: "SCARD",
  zset: "ZCARD",
  hash: "HLEN",
  stream: "XLEN",
};
const WINDOWED = new Set(Object.keys(COUNT));
/** Collections with more members than this are big whatever their MEMORY USAGE (an estimate from samples). */
export const BIG_ELEMENTS = 100_000;
/** Keys above this MEMORY USAGE (or the threshold, if lower) have their members counted. */
const COUNT_CHECK_ABOVE = 4 * 1024 * 1024;

export class BigKeyReader implements Reader {
  constructor(
    private readonly connection: () => Commands,
    private readonly inner: Reader,
    private readonly threshold: number,
    private readonly memLimit?: number,
    /** Only keys of this type are read (live mode with --key-type); others go to the inner reader to drop. */
    private readonly type?: string,
  ) {}

  async read(keys: Uint8Array[]): Promise<ReadResult> {
    const connection = this.connection();
    const usage = await connection.pipelineKeys([["MEMORY", "USAGE"]], keys);
    const checkAbove = Math.min(this.threshold, COUNT_CHECK_ABOVE);
    const candidates = keys.filter((_, i) => {
      const bytes = usage[i];
      if (typeof bytes !== "number" || bytes <= checkAbove) return false;
      return this.memLimit === undefined || bytes <= this.memLimit; // over --mem-limit: skipped and listed
    });
    const big = await this.bigOf(connection, candidates, new Map(keys.map((key, i) => [key, usage[i]])));
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

  /** Of the candidates, those above the threshold or with more than BIG_ELEMENTS members, with their type. */
  private async bigOf(
    connection: Commands,
    candidates: Uint8Array[],
    usage: Map<Uint8Array, unknown>,
  ): Promise<Map<Uint8Array, string>> {
    const big = new Map<Uint8Array, string>();
    if (candidates.length === 0) return big;
    const types = await connection.pipelineKeys([["TYPE"]], candidates);
    const typed = candidates.map((key, i) => ({
      key,
      type: types[i] instanceof ErrorReply ? "" : toText(types[i]),
    }))
      .filter(({ type }) => WINDOWED.has(type) && (this.type === undefined || type === this.type));
    const counts = await connection.pipeline(typed.map(({ key, type }) => [COUNT[type], key]));
    typed.forEach(({ key, type }, i) => {
      const over = (usage.get(key) as number) > this.threshold;
      if (over || (type !== "string" && Number(counts[i]) > BIG_ELEMENTS)) big.set(key, type);
    });
    return big;
  }
}
