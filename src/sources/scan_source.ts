/**
 * KeySource over SCAN on one server (see src/pipeline/stages.ts for the contract). Each SCAN reply is one
 * batch with the cursor after it as its position, so a run can resume from the last cursor whose keys are
 * all written. A lost connection continues from the last cursor received after a reconnect (SCAN cursors
 * are stateless), within the retry policy.
 */
import type { Log } from "../log.ts";
import type { KeyBatch, KeySource } from "../pipeline/stages.ts";
import type { Commands } from "../redis/commands.ts";
import { backoffDelay, DEFAULT_RETRY, isRetriable, type RetryPolicy, sleep } from "../retry.ts";
import { type ScanOptions, scanPages, type ScanStats } from "./key_scanner.ts";

export interface ScanSourceOptions {
  scan: ScanOptions;
  /** Where to start ("0", or a checkpoint's cursor). */
  cursor?: string;
  /** Names the node in positions ("" for a single server). */
  node?: string;
  retry?: RetryPolicy;
  reconnect?: () => Promise<void>;
  log?: Log;
}

export class ScanSource implements KeySource {
  /** The cursor of the last SCAN reply received. */
  cursor: string;

  constructor(
    private readonly connection: () => Commands,
    private readonly options: ScanSourceOptions,
    private readonly stats: ScanStats = { scanned: 0 },
  ) {
    this.cursor = options.cursor ?? "0";
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<KeyBatch> {
    const policy = this.options.retry ?? DEFAULT_RETRY;
    const node = this.options.node ?? "";
    let failures = 0;
    for (;;) {
      try {
        for await (const page of scanPages(this.connection, this.options.scan, this.stats, this.cursor)) {
          failures = 0;
          this.cursor = page.cursor;
          yield { keys: page.keys, position: { node, cursor: page.cursor, done: page.cursor === "0" } };
          if (signal?.aborted) return;
        }
        return;
      } catch (error) {
        if (!isRetriable(error) || ++failures > policy.limit || signal?.aborted) throw error;
        this.stats.retries = (this.stats.retries ?? 0) + 1;
        const delay = backoffDelay(policy, failures);
        this.options.log?.warn(
          `${(error as Error).message} (scanning); continuing from cursor ${this.cursor} in ${delay} ms`,
        );
        await sleep(delay, signal);
        await this.options.reconnect?.().catch(() => {});
      }
    }
  }
}
