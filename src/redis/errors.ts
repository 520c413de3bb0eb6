/**
 * Failures of a connection, each with one line that names the endpoint and says what to check.
 * The endpoint is printed as host:port (never with credentials).
 */
import { ErrorReply, ProtocolError } from "../../resp/mod.ts";

/** The connection could not be made or was lost; `endpoint` is host:port or unix:path. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(readonly endpoint: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** No reply within the command timeout. */
export class TimeoutError extends ConnectionError {
  override name = "TimeoutError";
}

/** The server refused the credentials, or wants some. */
export class AuthError extends ConnectionError {
  override name = "AuthError";
}

/**
 * Turn whatever failed while connecting into a ConnectionError with advice. `error` is what Deno or the
 * handshake threw.
 */
export function explainConnectFailure(endpoint: string, error: unknown, tls: boolean): ConnectionError {
  if (error instanceof ConnectionError) {
    // Lost while handshaking: garbage or an early close says more about the port than the loss does.
    const cause = error.cause;
    const telling = cause instanceof ProtocolError || cause instanceof Deno.errors.UnexpectedEof ||
      cause instanceof Deno.errors.ConnectionReset;
    if (!telling || error instanceof TimeoutError) return error;
    error = cause;
  }
  const cause = error instanceof Error ? error : new Error(String(error));
  const text = cause.message;
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new ConnectionError(
      endpoint,
      `Cannot connect to ${endpoint}: connection refused. Check that Redis runs there and the host and port (-h, -p) are right.`,
      { cause },
    );
  }
  const unresolved = /failed to lookup address|name or service not known|nodename nor servname|no such host/i
    .test(text);
  if ((error instanceof Deno.errors.NotFound || unresolved) && !endpoint.startsWith("unix:")) {
    return new ConnectionError(
      endpoint,
      `Cannot resolve the host of ${endpoint}: ${text}. Check the host name (-h) or DNS.`,
      { cause },
    );
  }
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
    return new ConnectionError(
      endpoint,
      `Cannot open the socket ${endpoint}: ${text}. Check the path (-s) and its permissions.`,
      { cause },
    );
  }
  if (error instanceof ErrorReply) {
    if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(error.code) || /invalid password|invalid username/i.test(text)) {
      const what = error.code === "NOAUTH"
        ? "requires a password: pass -a/--pass (or REDISCLI_AUTH, or a URI with a password)"
        : "refused the credentials: check --user and -a/--pass (or REDISCLI_AUTH)";
      return new AuthError(endpoint, `Authentication failed at ${endpoint}: ${text}. The server ${what}.`, {
        cause,
      });
    }
    return new ConnectionError(endpoint, `Handshake with ${endpoint} failed: ${text}`, { cause });
  }
  if (error instanceof ProtocolError) {
    return new ConnectionError(
      endpoint,
      `${endpoint} does not speak RESP (${text}). Check the port${
        tls ? "" : ", or add --tls if it serves TLS"
      }.`,
      { cause },
    );
  }
  if (/certificate|tls|handshake|UnknownIssuer|InvalidCertificate|alert/i.test(text)) {
    return new ConnectionError(
      endpoint,
      `TLS handshake with ${endpoint} failed: ${text}. Check --cacert (the CA that signed the server's certificate), --cert/--key, and that the port serves TLS.`,
      { cause },
    );
  }
  if (error instanceof Deno.errors.UnexpectedEof || error instanceof Deno.errors.ConnectionReset) {
    return new ConnectionError(
      endpoint,
      `${endpoint} closed the connection during the handshake${
        tls ? "" : ": if it serves TLS, add --tls"
      }. Check the port and the server's log.`,
      { cause },
    );
  }
  return new ConnectionError(endpoint, `Cannot connect to ${endpoint}: ${text}`, { cause });
}
