/** Several connections to one server, opened together; closing the pool closes them all. */
import type { RedisConnection } from "./connection.ts";
import { connectWithHello, type ServerHello } from "./connect.ts";
import type { ConnectionOptions } from "./options.ts";

export interface OpenedServer {
  connections: RedisConnection[];
  hello: ServerHello;
  close(): void;
}

export async function openConnections(options: ConnectionOptions, count: number): Promise<OpenedServer> {
  const first = await connectWithHello(options);
  const rest = await Promise.all(
    Array.from({ length: count - 1 }, () => connectWithHello(options).then((ready) => ready.connection)),
  ).catch((error) => {
    first.connection.close();
    throw error;
  });
  const connections = [first.connection, ...rest];
  return {
    connections,
    hello: first.hello,
    close: () => connections.forEach((connection) => connection.close()),
  };
}
