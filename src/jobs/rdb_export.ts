/**
 * `rdb-export`, wiring only: riot connects to the source as a replica (src/sync/replica_link.ts), asks for
 * a full sync and saves the snapshot as an RDB file, like `redis-cli --rdb`, while the RDB reader checks it
 * as it streams (structure, every item, the CRC64 at the end). The file is written to `FILE.partial` and
 * renamed to FILE only once the snapshot was complete and checked; `-` writes to stdout. Memory: one chunk
 * and one item of the reader.
 */
import type { Log } from "../log.ts";
import { RdbFileReader } from "../rdb/file_reader.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import { ReplicaLink } from "../sync/replica_link.ts";

export interface RdbExportConfig {
  source: ConnectionOptions;
  output: string;
  maxItemBytes?: number;
}

export interface RdbExportOutcome {
  bytes: number;
  keys: number;
  version: number;
  /** False when the source saved without a checksum (rdbchecksum no). */
  checksum: boolean;
  diskless: boolean;
  seconds: number;
}

export class RdbExportJob {
  readonly progress = { bytes: 0, total: undefined as number | undefined, keys: 0 };

  constructor(private readonly config: RdbExportConfig, private readonly log: Log) {}

  async run(): Promise<RdbExportOutcome> {
    const started = performance.now();
    const link = await ReplicaLink.open(this.config.source);
    const toStdout = this.config.output === "-";
    const path = `${this.config.output}.partial`;
    let file: Deno.FsFile | undefined;
    try {
      const reply = await link.psync();
      if (reply.kind !== "full") throw new Error(`${link.endpoint} did not start a full sync`);
      this.log.info(
        `Full sync from ${link.endpoint}: replication ID ${reply.replid}, offset ${reply.offset}`,
      );
      const frame = await link.snapshotFrame();
      this.progress.total = frame.length;
      file = toStdout ? undefined : await Deno.open(path, { write: true, create: true, truncate: true });
      const out = toStdout ? Deno.stdout : file!;
      const reader = new RdbFileReader({ maxItemBytes: this.config.maxItemBytes });
      let leftover: Uint8Array = new Uint8Array(0);
      for await (const chunk of link.snapshot(frame, () => reader.done, () => leftover)) {
        reader.feed(chunk);
        for (let item = reader.next(); item; item = reader.next()) {
          if (item.kind === "key") this.progress.keys++;
        }
        let part = chunk;
        if (reader.done) {
          leftover = reader.rest();
          part = chunk.subarray(0, chunk.length - leftover.length);
        }
        await writeAll(out, part);
        this.progress.bytes += part.length;
      }
      reader.end();
      for (let item = reader.next(); item; item = reader.next()) {
        if (item.kind === "key") this.progress.keys++;
      }
      if (!reader.done) throw new Error(`The snapshot from ${link.endpoint} ended before its RDB end marker`);
      if (file) {
        file.close();
        file = undefined;
        await Deno.rename(path, this.config.output);
      }
      return {
        bytes: this.progress.bytes,
        keys: this.progress.keys,
        version: reader.version,
        checksum: reader.checksum !== 0n,
        diskless: frame.length === undefined,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      if (file) {
        file.close();
        await Deno.remove(path).catch(() => {});
      }
      throw error;
    } finally {
      link.close();
    }
  }
}

async function writeAll(out: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await out.write(bytes.subarray(at));
}
