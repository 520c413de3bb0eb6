/** The loop of a verification pass: batches of keys in flight, results committed in page order. */
import type { Commands } from "../redis/commands.ts";
import { type ScanOptions, type ScanPage, scanPages } from "../sources/key_scanner.ts";

/** The pages of a SCAN of one side from `start` ("0": the beginning). */
export function scanned(
  scanner: Commands,
  scan: ScanOptions,
  start = "0",
): AsyncIterable<ScanPage> {
  return scanPages(() => scanner, scan, undefined, start);
}

/**
 * Take the pages (a SCAN of one side, or a list of keys) and run `each` on batches, a few batches in
 * flight; `commit` gets each batch's result with the page cursor after it, in page order (a batch finished
 * early waits for the ones before it). Rejects with the first failure of any batch (a batch that failed is
 * never dropped from the counts silently). A stop ends the pass at a page boundary; the batches launched
 * are still finished.
 */
export async function runBatches<T>(
  pages: AsyncIterable<ScanPage> | Iterable<ScanPage>,
  config: { batch: number; signal?: AbortSignal },
  each: (keys: Uint8Array[]) => Promise<T>,
  { start = "0", commit }: { start?: string; commit: (result: T, cursor: string) => void },
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const cursors: string[] = [];
  const finished = new Map<number, T>();
  let low = 0;
  const launch = async (keys: Uint8Array[], cursor: string) => {
    if (failure) throw failure.error;
    const seq = cursors.push(cursor) - 1;
    const task: Promise<void> = each(keys)
      .then((result) => {
        finished.set(seq, result);
        for (; finished.has(low); low++) {
          commit(finished.get(low)!, cursors[low]);
          finished.delete(low);
        }
      })
      .catch((error) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  };
  let pending: Uint8Array[] = [];
  let cursor = start;
  let launched = start;
  for await (const page of pages) {
    if (config.signal?.aborted) break;
    pending.push(...page.keys);
    cursor = page.cursor;
    if (pending.length >= config.batch) {
      await launch(pending, cursor);
      launched = cursor;
      pending = [];
    }
  }
  if (pending.length > 0 || cursor !== launched) await launch(pending, cursor);
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}
