/**
 * One file export, wiring only: SCAN the keys (--key-pattern, --key-type, globs), read their values in
 * pipelined batches (key_values.ts, big keys in windows), and write one record per key to the output as
 * JSON lines, a JSON array or XML. Nothing prints here; the UI watches `stats` and `total`.
 *
 * The JSON array is valid JSON whatever the batch size: `[`, records joined by `,`, `]` (RIOT wrote one
 * array per batch). `stop()` ends the scan at a batch boundary; the records read so far are written and
 * the file is closed properly.
 */
import type { Log } from "../log.ts";
import { ReplicationStats } from "../pipeline/stats.ts";
import { supportsExpireTime } from "../readers/dump_reader.ts";
import { Endpoint } from "../redis/endpoint.ts";
import type { ConnectionOptions } from "../redis/options.ts";
import type { RetryPolicy } from "../retry.ts";
import { dbSize } from "../sources/dbsize.ts";
import type { ScanOptions } from "../sources/key_scanner.ts";
import { ScanSource } from "../sources/scan_source.ts";
import { jsonRecordClose, jsonRecordOpen, jsonWindow } from "./dump_format.ts";
import { type ExportPiece, keyValues, type KeyValuesStats } from "./key_values.ts";
import { openOutput, type TextOutput } from "./output.ts";
import { XML_END, XML_START, xmlRecordClose, xmlRecordOpen, xmlWindow } from "./xml_format.ts";

export type ExportFormat = "jsonl" | "json" | "xml";

export interface FileExportConfig {
  source: ConnectionOptions;
  scan: ScanOptions;
  /** A file path, or "-" for stdout. */
  path: string;
  format: ExportFormat;
  /** Elements per window of a big key (and KiB per string window). */
  window: number;
  retry: RetryPolicy;
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
  private readonly stopper = new AbortController();

  constructor(private readonly config: FileExportConfig, private readonly log: Log) {}

  stop(): void {
    this.stopper.abort();
  }

  async run(): Promise<FileExportOutcome> {
    const config = this.config;
    const source = await Endpoint.open(config.source, "source", 1);
    let output: TextOutput | undefined;
    try {
      const expireTime = await supportsExpireTime(source.control);
      this.total = await dbSize(source.control);
      output = await openOutput(config.path);
      const format = formatter(config.format, output);
      await format.start();
      const scan = new ScanSource(() => source.control, {
        scan: config.scan,
        retry: config.retry,
        reconnect: () => source.reconnect(),
        log: this.log,
      }, this.stats);
      const counters: KeyValuesStats = { vanished: 0, failed: 0, failures: [] };
      for await (const batch of scan.batches(this.stopper.signal)) {
        if (batch.keys.length === 0) continue;
        const before = {
          vanished: counters.vanished,
          failed: counters.failed,
          failures: counters.failures.length,
        };
        for await (
          const piece of keyValues(
            source.worker(0),
            batch.keys,
            { expireTime, window: config.window },
            counters,
          )
        ) {
          await format.piece(piece);
          if (piece.kind === "close") {
            this.stats.read++;
            this.stats.written++;
          }
        }
        this.stats.vanished += counters.vanished - before.vanished;
        this.stats.addFailures(counters.failures.slice(before.failures));
        this.stats.failed += counters.failed - before.failed - (counters.failures.length - before.failures);
      }
      await format.end();
      await output.close();
      const bytes = output.bytes;
      output = undefined;
      return { stats: this.stats, bytes, stopped: this.stopper.signal.aborted };
    } finally {
      await output?.close().catch(() => {});
      source.close();
    }
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
        if (piece.kind === "open") return output.write(xmlRecordOpen(piece.header));
        if (piece.kind === "window") return output.write(xmlWindow(piece.window));
        return output.write(xmlRecordClose(piece.type));
      },
      end: () => output.write(XML_END),
    };
  }
  const array = format === "json";
  return {
    start: () => array ? output.write("[\n") : Promise.resolve(),
    piece(piece) {
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
