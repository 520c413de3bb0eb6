/**
 * The transfer loop (src/pipeline/transfer.ts) and its stages on their own, against real servers: the
 * real ScanSource, DumpReader and RestoreWriter, wrapped only to count what passes through them. Faults
 * are real (CLIENT KILL, CLIENT PAUSE, an ACL that refuses RESTORE). What arrived is read back with our
 * own connections.
 */
import assert from "node:assert/strict";
import { transfer, type TransferConfig } from "../src/pipeline/transfer.ts";
import type { KeyBatch, KeySource, Reader, SourcePosition, Writer } from "../src/pipeline/stages.ts";
import { ReplicationStats } from "../src/pipeline/stats.ts";
import { DumpReader } from "../src/readers/dump_reader.ts";
import { RestoreWriter } from "../src/writers/restore_writer.ts";
import { ScanSource } from "../src/sources/scan_source.ts";
import { KeyListSource } from "../src/sources/key_list.ts";
import { Endpoint } from "../src/redis/endpoint.ts";
import { ConnectionError } from "../src/redis/errors.ts";
import { type ConnectionOptions, DEFAULT_CONNECTION } from "../src/redis/options.ts";
import type { RetryPolicy } from "../src/retry.ts";
import { raw } from "./_replicate_util.ts";
import { RedisServer, serverTest } from "./_server.ts";

const NO_RETRY: RetryPolicy = { limit: 0, backoffMs: 10, maxBackoffMs: 10 };
const QUICK_RETRY: RetryPolicy = { limit: 10, backoffMs: 20, maxBackoffMs: 200 };

function optionsOf(server: { host: string; port: number }, extra: Partial<ConnectionOptions> = {}) {
  return { ...DEFAULT_CONNECTION, host: server.host, port: server.port, timeoutMs: 20_000, ...extra };
}

function config(extra: Partial<TransferConfig> = {}): TransferConfig {
  return { batch: 100, queueBatches: 4, queueBytes: 8 * 1024 * 1024, dryRun: false, ...extra };
}

/** Wraps a source to count the batches it yields and to see when the transfer let go of it. */
function counted(inner: KeySource, onBatch: (batch: KeyBatch, index: number) => void = () => {}) {
  const seen = { batches: 0, keys: [] as Uint8Array[], ended: false };
  const source: KeySource = {
    async *batches(signal?: AbortSignal) {
      try {
        for await (const batch of inner.batches(signal)) {
          seen.batches++;
          seen.keys.push(...batch.keys);
          onBatch(batch, seen.batches);
          yield batch;
        }
      } finally {
        seen.ended = true;
      }
    },
  };
  return { source, seen };
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function dbsize(server: RedisServer): Promise<number> {
  return Number(await server.cli("DBSIZE"));
}

serverTest({
  name: "transfer: a reader whose connection fails for good stops the source and the writers, and rejects",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start();
    await sourceServer.cli("DEBUG", "POPULATE", "50000", "key", "16");
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 1);
    const target = await Endpoint.open(optionsOf(targetServer), "target", 1);
    const killer = await raw(sourceServer);
    try {
      const readerId = await source.worker(0).call("CLIENT", "ID");
      const dumps = new DumpReader(() => source.worker(0), { expireTime: true });
      let reads = 0;
      let failed = false;
      let failedAt: number | undefined;
      const reader: Reader = {
        async read(keys) {
          if (++reads === 20) await killer.call("CLIENT", "KILL", "ID", String(readerId));
          try {
            return await dumps.read(keys);
          } catch (error) {
            // Writes already taken in this turn of the event loop may start; none after it.
            if (failedAt === undefined) setTimeout(() => failedAt ??= performance.now(), 0);
            failed = true;
            throw error;
          }
        },
      };
      const restores = new RestoreWriter(() => target.worker(0));
      let writesAfterFailure = 0;
      const writer: Writer = {
        write(records) {
          if (failedAt !== undefined) writesAfterFailure++;
          return restores.write(records);
        },
      };
      const scan = new ScanSource(() => source.control, { scan: { count: 100 }, retry: NO_RETRY });
      const { source: keys, seen } = counted(scan);
      const stats = new ReplicationStats();
      await assert.rejects(
        transfer({ source: keys, readers: [reader], writers: [writer] }, config({ retry: NO_RETRY }), stats),
        (error) => error instanceof ConnectionError,
      );
      assert.ok(failed, "the reader failed");
      assert.equal(writesAfterFailure, 0, "no write starts after the reader failed");
      assert.ok(seen.ended, "the transfer let go of the source");
      assert.ok(seen.batches < 200, `the source stopped early: ${seen.batches} of ~500 batches`);
      const written = await dbsize(targetServer);
      assert.ok(written < 50_000, `${written} keys written`);
      await sleep(300);
      assert.equal(await dbsize(targetServer), written, "nothing is written after transfer() rejected");
      assert.equal(stats.written, written, "every key counted as written is on the target");
    } finally {
      killer.close();
      source.close();
      target.close();
    }
  },
});

serverTest({
  name: "transfer: while the target is paused the full queues block the source; then every key arrives",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start();
    const total = 20_000;
    await sourceServer.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const names = Array.from({ length: total }, (_, i) => new TextEncoder().encode(`key:${i}`));
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 1);
    const target = await Endpoint.open(optionsOf(targetServer), "target", 1);
    try {
      await targetServer.cli("CLIENT", "PAUSE", "3000", "WRITE");
      const { source: keys, seen } = counted(new KeyListSource(names, 100));
      const stats = new ReplicationStats();
      const running = transfer(
        {
          source: keys,
          readers: [new DumpReader(() => source.worker(0), { expireTime: true })],
          writers: [new RestoreWriter(() => target.worker(0))],
        },
        config({ queueBatches: 4 }),
        stats,
      );
      await sleep(800);
      // Key queue (4) + one batch in each of the 2 reader loops + the one waiting to be pushed.
      assert.ok(seen.batches >= 4, `the queue filled: ${seen.batches} batches`);
      assert.ok(seen.batches <= 4 + 2 + 1, `the source is blocked: it yielded ${seen.batches} batches`);
      assert.equal(stats.written, 0);
      assert.equal(await dbsize(targetServer), 0);
      await running;
      assert.equal(seen.batches, total / 100);
      assert.equal(stats.written, total);
      assert.equal(await dbsize(targetServer), total);
    } finally {
      source.close();
      target.close();
    }
  },
});

serverTest({
  name:
    "transfer: a stop drains the queues: every key the source yielded is written, the position is the last",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start();
    await sourceServer.cli("DEBUG", "POPULATE", "30000", "key", "16");
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 2);
    const target = await Endpoint.open(optionsOf(targetServer), "target", 2);
    const watcher = await raw(targetServer);
    try {
      const stop = new AbortController();
      const scan = new ScanSource(() => source.control, { scan: { count: 100 }, retry: NO_RETRY });
      let last: SourcePosition | undefined;
      const { source: keys, seen } = counted(scan, (_, index) => {
        if (index === 30) stop.abort();
      });
      const positions: SourcePosition[] = [];
      const stats = new ReplicationStats();
      const result = await transfer(
        {
          source: keys,
          readers: [0, 1].map((i) => new DumpReader(() => source.worker(i), { expireTime: true })),
          writers: [0, 1].map((i) => new RestoreWriter(() => target.worker(i))),
        },
        config({
          signal: stop.signal,
          onPosition: (position) => {
            positions.push(position);
            last = position;
          },
        }),
        stats,
      );
      assert.equal(result.stopped, true);
      assert.equal(seen.batches, 30, "the source stopped at the batch boundary after the stop");
      assert.equal(stats.written, seen.keys.length);
      const present = await watcher.call("EXISTS", ...seen.keys);
      assert.equal(present, seen.keys.length, "every key yielded before the stop is on the target");
      assert.equal(await dbsize(targetServer), seen.keys.length);
      assert.equal(positions.length, 30, "one position per batch, in order");
      assert.deepEqual(last, { node: "", cursor: scan.cursor, done: false });
    } finally {
      watcher.close();
      source.close();
      target.close();
    }
  },
});

serverTest({
  name: "transfer: a write connection killed mid-copy is reopened and its batch sent again, nothing lost",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start();
    const total = 50_000;
    await sourceServer.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 1);
    const target = await Endpoint.open(optionsOf(targetServer), "target", 1);
    const killer = await raw(targetServer);
    try {
      const restores = new RestoreWriter(() => target.worker(0));
      let writes = 0;
      const writer: Writer = {
        async write(records) {
          if (++writes === 30) {
            await killer.call("CLIENT", "KILL", "ID", String(await target.worker(0).call("CLIENT", "ID")));
          }
          return await restores.write(records);
        },
      };
      const stats = new ReplicationStats();
      await transfer(
        {
          source: new ScanSource(() => source.control, { scan: { count: 1000 }, retry: QUICK_RETRY }),
          readers: [new DumpReader(() => source.worker(0), { expireTime: true })],
          writers: [writer],
          reconnect: async () => {
            await source.reconnect();
            await target.reconnect();
          },
        },
        config({ batch: 500, retry: QUICK_RETRY }),
        stats,
      );
      assert.ok(stats.retries >= 1, `retries ${stats.retries}`);
      // Only the batches in flight on the killed connection (two loops of at most --batch keys) go twice.
      assert.ok(stats.resent > 0 && stats.resent <= 2 * 500, `resent ${stats.resent}`);
      assert.equal(stats.written, total, "a batch counts as written once, when acknowledged");
      assert.equal(stats.failed, 0);
      assert.equal(await dbsize(targetServer), total);
      assert.equal(await targetServer.cli("DEBUG", "DIGEST"), await sourceServer.cli("DEBUG", "DIGEST"));
    } finally {
      killer.close();
      source.close();
      target.close();
    }
  },
});

serverTest({
  name: "transfer: a RESTORE the target refuses (no permission) is a failure at once, never retried",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start({
      aclUsers: [{ name: "norestore", password: "pw", rules: "~* &* +@all -restore" }],
    });
    await sourceServer.cli("DEBUG", "POPULATE", "500", "key", "16");
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 1);
    const target = await Endpoint.open(
      optionsOf(targetServer, { user: "norestore", password: "pw" }),
      "target",
      1,
    );
    try {
      const stats = new ReplicationStats();
      const started = performance.now();
      await transfer(
        {
          source: new ScanSource(() => source.control, { scan: { count: 100 } }),
          readers: [new DumpReader(() => source.worker(0), { expireTime: true })],
          writers: [new RestoreWriter(() => target.worker(0))],
        },
        config({ retry: { limit: 10, backoffMs: 1000, maxBackoffMs: 10_000 } }),
        stats,
      );
      assert.ok(performance.now() - started < 5_000, "no backoff was waited");
      assert.equal(stats.retries, 0);
      assert.equal(stats.resent, 0);
      assert.equal(stats.written, 0);
      assert.equal(stats.failed, 500);
      assert.deepEqual([...new Set(stats.failures.map((failure) => failure.code))], ["noperm"]);
      assert.equal(await dbsize(targetServer), 0);
    } finally {
      source.close();
      target.close();
    }
  },
});

serverTest({
  name: "ScanSource: a scan connection killed mid-copy continues from its cursor and counts the retry",
  async fn() {
    await using sourceServer = await RedisServer.start();
    await using targetServer = await RedisServer.start();
    const total = 20_000;
    await sourceServer.cli("DEBUG", "POPULATE", String(total), "key", "16");
    const source = await Endpoint.open(optionsOf(sourceServer), "source", 1);
    const target = await Endpoint.open(optionsOf(targetServer), "target", 1);
    const killer = await raw(sourceServer);
    try {
      const dumps = new DumpReader(() => source.worker(0), { expireTime: true });
      let reads = 0;
      const reader: Reader = {
        async read(keys) {
          if (++reads === 5) {
            await killer.call("CLIENT", "KILL", "ID", String(await source.control.call("CLIENT", "ID")));
          }
          return await dumps.read(keys);
        },
      };
      const stats = new ReplicationStats();
      await transfer(
        {
          source: new ScanSource(
            () => source.control,
            { scan: { count: 500 }, retry: QUICK_RETRY, reconnect: () => source.reconnect() },
            stats,
          ),
          readers: [reader],
          writers: [new RestoreWriter(() => target.worker(0))],
          reconnect: async () => {
            await source.reconnect();
            await target.reconnect();
          },
        },
        config({ batch: 500, retry: QUICK_RETRY }),
        stats,
      );
      assert.ok(stats.retries >= 1, `retries ${stats.retries}`);
      assert.ok(stats.scanned < total + total / 2, `scanned ${stats.scanned}: from the cursor, not from 0`);
      assert.equal(await dbsize(targetServer), total);
    } finally {
      killer.close();
      source.close();
      target.close();
    }
  },
});
