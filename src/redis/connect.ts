/**
 * Open a ready-to-use connection: transport, then the handshake.
 *
 * Handshake: `HELLO 3 [AUTH user pass] [SETNAME name]`; when the server is older than 6 (unknown command)
 * or says NOPROTO, or RESP2 was asked for, `AUTH` and RESP2 instead. Then `SELECT db` when db != 0.
 * Every failure becomes one ConnectionError line naming the endpoint; the password never appears in it.
 */
import {
  type Command,
  type CommandArg,
  encodeCommands,
  ErrorReply,
  RespMap,
  type RespValue,
} from "../../resp/mod.ts";
import { RedisConnection, type WindowLimits } from "./connection.ts";
import { explainConnectFailure } from "./errors.ts";
import { type ConnectionOptions, describeEndpoint, redactSecrets } from "./options.ts";
import { openTransport } from "./transport.ts";

export interface ServerHello {
  protocol: 2 | 3;
  /** Server version from HELLO when known, e.g. "7.0.15". */
  version?: string;
  mode?: string;
  role?: string;
}

export interface ReadyConnection {
  connection: RedisConnection;
  hello: ServerHello;
}

export async function connect(
  options: ConnectionOptions,
  window?: WindowLimits,
): Promise<RedisConnection> {
  return (await connectWithHello(options, window)).connection;
}

export async function connectWithHello(
  options: ConnectionOptions,
  window?: WindowLimits,
): Promise<ReadyConnection> {
  const endpoint = describeEndpoint(options);
  const conn = await openTransport(options);
  const connection = new RedisConnection(conn, endpoint, options.timeoutMs, window);
  try {
    const hello = await handshake(connection, options);
    return { connection, hello };
  } catch (error) {
    connection.close();
    const explained = explainConnectFailure(endpoint, error, options.tls);
    explained.message = redactSecrets(explained.message, [options.password]);
    throw explained;
  }
}

async function send(connection: RedisConnection, command: Command): Promise<RespValue> {
  const [reply] = await connection.enqueue(1, encodeCommands([command]));
  return reply;
}

async function handshake(connection: RedisConnection, options: ConnectionOptions): Promise<ServerHello> {
  const hello: ServerHello = { protocol: 2 };
  let needAuth = options.password !== undefined;
  if (options.resp === 3) {
    const command: CommandArg[] = ["HELLO", 3];
    if (options.password !== undefined) command.push("AUTH", options.user ?? "default", options.password);
    if (options.clientName) command.push("SETNAME", options.clientName);
    const reply = await send(connection, command);
    if (reply instanceof RespMap) {
      hello.protocol = 3;
      needAuth = false;
      const version = reply.get("version");
      if (typeof version === "string" || version instanceof Uint8Array) hello.version = text(version);
      const mode = reply.get("mode");
      if (mode !== undefined) hello.mode = text(mode);
      const role = reply.get("role");
      if (role !== undefined) hello.role = text(role);
    } else if (reply instanceof ErrorReply) {
      const unsupported = reply.code === "NOPROTO" || /unknown command/i.test(reply.message);
      if (!unsupported) throw reply;
    }
  }
  if (needAuth) {
    const command: Command = options.user !== undefined
      ? ["AUTH", options.user, options.password!]
      : ["AUTH", options.password!];
    const reply = await send(connection, command);
    if (reply instanceof ErrorReply) throw reply;
  }
  if (hello.protocol === 2 && options.clientName) {
    await send(connection, ["CLIENT", "SETNAME", options.clientName]); // best effort: old servers lack it
  }
  if (options.db !== 0) {
    const reply = await send(connection, ["SELECT", options.db]);
    if (reply instanceof ErrorReply) {
      throw new ErrorReply(`${reply.message} (database ${options.db}, -n)`);
    }
  }
  connection.protocol = hello.protocol;
  return hello;
}

function text(value: RespValue): string {
  return value instanceof Uint8Array ? new TextDecoder().decode(value) : String(value);
}
