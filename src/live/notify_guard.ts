/**
 * Keeps keyspace notifications on for the whole live phase. A restarted source comes back with whatever
 * its config file says, and anyone can run `CONFIG SET notify-keyspace-events ""`: every later change would
 * be missed silently. `check()` runs at the start, after every reconnect and every few seconds:
 *
 * - where CONFIG is allowed: flags on -> nothing; flags missing -> with --config-set they are set again
 *   (and `check` returns a reason to re-scan, since changes meanwhile left no events); without it,
 *   NotificationsError with the one-line advice;
 * - where CONFIG is refused (managed services): a probe key is written and deleted, and its event must
 *   arrive on the live subscription within 2 s; otherwise NotificationsError.
 *
 * `restore()` puts back the value found at the start when riot changed it then (a value riot repaired
 * mid-run is left on: turning it off again would be the loss this guard prevents).
 */
import type { Log } from "../log.ts";
import type { Commands } from "../redis/commands.ts";
import {
  checkNotifications,
  enableNotifications,
  notificationsAdvice,
  restoreNotifications,
} from "./notify_config.ts";

/** Thrown when live replication cannot see changes: exit 1 with the advice. */
export class NotificationsError extends Error {
  override name = "NotificationsError";
}

export const PROBE_PREFIX = "riot:probe:";
const PROBE_WAIT_MS = 2000;

export class NotificationGuard {
  private original: string | undefined;
  private probing = false;
  /** False until the first check (the one at the start of the run). */
  private started = false;
  private readonly probes = new Map<string, () => void>();

  constructor(
    private readonly control: () => Commands,
    private readonly endpoint: string,
    private readonly configSet: boolean,
    private readonly log: Log,
  ) {}

  /** True once CONFIG was refused and probes stand in for it. */
  get usesProbes(): boolean {
    return this.probing;
  }

  /** Feed every event key here: probe keys are recognised and answered. */
  sawKey(name: string): void {
    this.probes.get(name)?.();
  }

  /** Undefined when notifications are on; a reason to re-scan when they had to be turned on again. */
  async check(probe = true): Promise<string | undefined> {
    const state = await checkNotifications(this.control());
    const atStart = !this.started;
    this.started = true;
    if (state.status === "ok") return undefined;
    if (state.status === "missing") {
      if (!this.configSet) {
        throw new NotificationsError(notificationsAdvice(this.endpoint, state.current, state.missing));
      }
      const previous = await enableNotifications(this.control(), state.current);
      // Only the value found at the start is restored on exit: a value found later (after a restart, or
      // after someone cleared it mid-run) is what riot repaired, not the user's setting.
      if (atStart) this.original = previous;
      this.log.warn(
        `Set notify-keyspace-events on ${this.endpoint} (was '${previous}')${
          atStart ? "; it is restored on exit" : ""
        }`,
      );
      // Mid-run, changes made while the flags were off sent no events: the caller re-scans.
      return atStart ? undefined : `notify-keyspace-events was '${previous}' on the source`;
    }
    if (!this.probing) {
      this.probing = true;
      this.log.warn(
        `CONFIG is refused on ${this.endpoint} (${state.error}); probing that keyspace notifications arrive`,
      );
    }
    if (!probe) return undefined; // the caller probes once it is subscribed
    if (!(await this.probe())) {
      throw new NotificationsError(
        `No keyspace notification arrived from ${this.endpoint} within ${
          PROBE_WAIT_MS / 1000
        } s and CONFIG is ` +
          `refused there: enable notify-keyspace-events KA in your provider's settings (parameter group) and run again`,
      );
    }
    return undefined;
  }

  async restore(): Promise<void> {
    if (this.original !== undefined) await restoreNotifications(this.control(), this.original);
  }

  /** Write and delete a probe key; true when its event arrives. */
  private async probe(): Promise<boolean> {
    const name = `${PROBE_PREFIX}${crypto.randomUUID()}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.probes.set(name, () => resolve(true));
      timer = setTimeout(() => resolve(false), PROBE_WAIT_MS);
    });
    try {
      await this.control().call("SET", name, "1", "PX", 10_000);
      await this.control().call("DEL", name);
      return await arrived;
    } finally {
      clearTimeout(timer);
      this.probes.delete(name);
    }
  }
}
