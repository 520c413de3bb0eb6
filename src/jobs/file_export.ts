/**
 * One file export, wiring only: SCAN the keys (--key-pattern, --key-type, globs), read their values in
 * pipelined batches (key_values.ts, big keys in windows), and write one record per key to the output as
 * JSON lines, a JSON array or XML. Nothing prints here; the UI watches `stats` and `total`.
 *
 * The JSON array is valid JSON whatever the batch size: `[`, records joined by `,`, `]` (RIOT wrote one
 * array per batch). `stop()` ends the scan at a batch boundary; the records read so far are written and
 * the file is closed properly.
 *
 * Live (`config.live`): keyspace notifications are subscribed before the scan (src/live/follower.ts);
 * after it, each batch of changed keys is exported again as it changes, and a key gone is written as
 * `{"key": ..., "type": "none", "ttl": -2, "value": null}` (restored as DEL). Lost notifications trigger a
 * logged re-scan that exports every key again. It ends after `idleTimeoutMs` without events or on stop().
 */
import type { Log } from "../log.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { supportsExpireTime } from "../readers/dump_reader.ts";
import { isClusterNode, oneNodeOfClusterNote } from "../redis/cluster/detect.ts";
import { Endpoint } from "../redis/endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RetryPolicy } from "../retry.ts";
import { dbSize } from "../sources/dbsize.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { ScanSource } from "../sources/scan_source.ts";
import { LiveFollower } from "../live/follower.ts";
import { jsonDeleted, jsonRecordClose, jsonRecordOpen, jsonWindow } from "../exports/dump_format.ts";
import { type ExportPiece, keyValues, type KeyValuesStats } from "../exports/key_values.ts";
import { openOutput, type TextOutput } from "../exports/output.ts";
import { XML_END, XML_START, xmlRecordClose, xmlRecordOpen, xmlWindow } from "../exports/xml_format.ts";

export type ExportFormat = "jsonl" | "json" | "xml";

export interface FileExportConfig {
  source: ConnectionOptions;
  scan: ScanOptions;
  /** A file path, or "-" for stdout. */
  path: string;
  format: ExportFormat;
  /** Elements per window of a big key (and KiB per string window). */
  window: number;
  /** Keys per batch (live batches). */
  batch: number;
  retry: RetryPolicy;
  /** Live mode: after the scan, keep exporting changed keys (JSON lines) until idle or stopped. */
  live?: { idleTimeoutMs?: number; flushIntervalMs: number; eventQueue: number; configSet: boolean };
}

export interface FileExportOutcome {
  stats: ReplicationStats;
  /** Bytes of text written (before gzip). */
  bytes: number;
  stopped: boolean;
}

export class FileExportJob {
  readonly stats = new ReplicationStats();
  total: number | undefined;
  follower: LiveFollower | undefined;
  private readonly stopper = new AbortController();
  private source!: Endpoint;
  private format!: Formatter;
  private expireTime = true;
  private readonly counters: KeyValuesStats = { vanished: 0, failed: 0, failures: [] };

  constructor(private readonly config: FileExportConfig, private readonly log: Log) {}

  /** Ends the scan at a batch boundary, or the live phase; what was read is written and the file closed. */
  stop(): void {
    this.stopper.abort();
    this.follower?.stop();
  }

  async run(): Promise<FileExportOutcome> {
    const config = this.config;
    this.source = await Endpoint.open(config.source, "source", 1);
    let output: TextOutput | undefined;
    try {
      if (await isClusterNode(this.source.control)) {
        this.log.warn(oneNodeOfClusterNote(this.source.name, "file-export"));
      }
      this.expireTime = await supportsExpireTime(this.source.control);
      this.total = await dbSize(this.source.control);
      output = await openOutput(config.path);
      this.format = formatter(config.format, output);
      if (config.live) {
        // Subscribed before the scan, so no change made during it is missed.
        this.follower = new LiveFollower(this.source, {
          ...config.live,
          batch: config.batch,
          scan: config.scan,
          retry: config.retry,
          parallel: 1,
        }, {
          copyKeys: async (keys) => {
            await this.exportKeys(keys, true);
            await output!.flush();
          },
          rescan: () => this.exportAll(),
        }, this.log);
        await this.follower.subscribe();
      }
      await this.format.start();
      await this.exportAll();
      await output.flush();
      if (this.follower && !this.stopper.signal.aborted) await this.follower.follow();
      await this.format.end();
      await output.close();
      const bytes = output.bytes;
      output = undefined;
      return { stats: this.stats, bytes, stopped: this.stopper.signal.aborted && !config.live };
    } finally {
      await this.follower?.close().catch(() => {});
      await output?.close().catch(() => {});
      this.source.close();
    }
  }

  /** Every key the scan options select. */
  private async exportAll(): Promise<void> {
    const scan = new ScanSource(() => this.source.control, {
      scan: this.config.scan,
      retry: this.config.retry,
      reconnect: () => this.source.reconnect(),
      log: this.log,
    }, this.stats);
    for await (const batch of scan.batches(this.stopper.signal)) {
      if (batch.keys.length > 0) await this.exportKeys(batch.keys, false);
    }
  }

  /** These keys, in order; with `deletes`, a key gone is written as a deletion (live mode). */
  private async exportKeys(keys: Uint8Array[], deletes: boolean): Promise<void> {
    const counters = this.counters;
    const before = {
      vanished: counters.vanished,
      failed: counters.failed,
      failures: counters.failures.length,
    };
    const options = { expireTime: this.expireTime, window: this.config.window, deletes };
    for await (const piece of keyValues(this.source.worker(0), keys, options, counters)) {
      await this.format.piece(piece);
      if (piece.kind === "close" || piece.kind === "deleted") {
        this.stats.read++;
        this.stats.written++;
      }
    }
    this.stats.vanished += counters.vanished - before.vanished;
    this.stats.addFailures(counters.failures.slice(before.failures));
    this.stats.failed += counters.failed - before.failed - (counters.failures.length - before.failures);
  }
}

interface Formatter {
  start(): Promise<void>;
  piece(piece: ExportPiece): Promise<void>;
  end(): Promise<void>;
}

function formatter(format: ExportFormat, output: TextOutput): Formatter {
  let records = 0;
  let windows = 0;
  if (format === "xml") {
    return {
      start: () => output.write(XML_START),
      piece(piece) {
        if (piece.kind === "deleted") return Promise.resolve(); // live mode writes JSON lines only
        if (piece.kind === "open") return output.write(xmlRecordOpen(piece.header));
        if (piece.kind === "window") return output.write(xmlWindow(piece.window));
        return output.write(xmlRecordClose(piece.type, piece.meta));
      },
      end: () => output.write(XML_END),
    };
  }
  const array = format === "json";
  return {
    start: () => array ? output.write("[\n") : Promise.resolve(),
    piece(piece) {
      if (piece.kind === "deleted") {
        return output.write(
          (array && records++ > 0 ? ",\n" : "") + jsonDeleted(piece.key) + (array ? "" : "\n"),
        );
      }
      if (piece.kind === "open") {
        windows = 0;
        return output.write((array && records++ > 0 ? ",\n" : "") + jsonRecordOpen(piece.header));
      }
      if (piece.kind === "window") return output.write(jsonWindow(piece.window, windows++ === 0));
      return output.write(jsonRecordClose(piece.type, piece.meta) + (array ? "" : "\n"));
    },
    end: () => array ? output.write(records > 0 ? "\n]\n" : "]\n") : Promise.resolve(),
  };
}
