/**
 * The one retry policy of the program: capped exponential backoff with jitter (each pause is random in the
 * upper half of its ceiling, so that retries of many clients spread out but never come back at once).
 *
 * Retriable: a connection lost after it was established (and failures to reopen it), a timeout, and the
 * server's LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN and READONLY (after a failover) replies. Never
 * retried: authentication, permissions, usage, a payload the target refuses — they cannot heal by waiting.
 */
import { ErrorReply } from "../resp/mod.ts";
import { AuthError, ConnectionError } from "./redis/errors.ts";

export interface RetryPolicy {
  /** Retries after the first attempt (0: never retry). */
  limit: number;
  /** First pause in ms; doubled after each retry up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  limit: 10,
  backoffMs: 500,
  maxBackoffMs: 10_000,
});

const RETRIABLE_REPLIES = new Set(["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY"]);

export function isRetriable(error: unknown): boolean {
  if (error instanceof AuthError) return false;
  if (error instanceof ConnectionError) return true;
  if (error instanceof ErrorReply) return RETRIABLE_REPLIES.has(error.code);
  return false;
}

/** The pause before retry number `retry` (1-based): random in [c/2, c], c = min(max, backoff * 2^(retry-1)). */
export function backoffDelay(policy: RetryPolicy, retry: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(30, retry - 1));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

export interface RetryHooks {
  /** Called before each retry with the error and the pause; may throw to stop retrying. */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** Runs after the pause, before the next attempt (reconnect); its failure counts as a failed attempt. */
  beforeRetry?: () => Promise<void>;
  /** Aborts the waiting (the last error is thrown). */
  signal?: AbortSignal;
}

/**
 * Run `attempt` until it resolves, a non-retriable error is thrown, or `policy.limit` retries failed.
 * Rejects with the last error.
 */
export async function retry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let retries = 0;; retries++) {
    try {
      if (retries > 0 && hooks.beforeRetry) await hooks.beforeRetry();
      return await attempt();
    } catch (error) {
      if (!isRetriable(error) || retries >= policy.limit || hooks.signal?.aborted) throw error;
      const delay = backoffDelay(policy, retries + 1);
      hooks.onRetry?.(error, retries + 1, delay);
      await sleep(delay, hooks.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
