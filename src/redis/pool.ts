/**
 * Several connections to one server, opened together; closing the pool closes them all. `reopen()` replaces
 * every connection in place (the same array), so stages that look connections up by index see the new ones.
 */
import type { RedisConnection } from "./connection.ts";
import { connectWithHello, type ServerHello } from "./connect.ts";
import type { ConnectionOptions } from "./options.ts";

export interface OpenedServer {
  connections: RedisConnection[];
  hello: ServerHello;
  close(): void;
  /** Open `count` fresh connections and swap them in; the old ones are closed. Rejects when it cannot. */
  reopen(): Promise<void>;
}

async function openAll(options: ConnectionOptions, count: number) {
  const first = await connectWithHello(options);
  const rest = await Promise.allSettled(
    Array.from({ length: count - 1 }, () => connectWithHello(options).then((ready) => ready.connection)),
  );
  const failed = rest.find((result) => result.status === "rejected");
  if (failed) {
    first.connection.close();
    for (const result of rest) if (result.status === "fulfilled") result.value.close();
    throw (failed as PromiseRejectedResult).reason;
  }
  const connections = [
    first.connection,
    ...rest.map((result) => (result as PromiseFulfilledResult<RedisConnection>).value),
  ];
  return { connections, hello: first.hello };
}

export async function openConnections(options: ConnectionOptions, count: number): Promise<OpenedServer> {
  const opened = await openAll(options, count);
  const server: OpenedServer = {
    connections: opened.connections,
    hello: opened.hello,
    close: () => server.connections.forEach((connection) => connection.close()),
    async reopen() {
      const fresh = await openAll(options, count);
      const old = server.connections.splice(0, server.connections.length, ...fresh.connections);
      server.hello = fresh.hello;
      for (const connection of old) connection.close();
    },
  };
  return server;
}
