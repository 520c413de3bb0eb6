/**
 * What the live phase keeps per source node (one for a standalone server, one per master of a cluster):
 * its loss watch (INFO: restarts, flushes, SWAPDB), its notification guard (notify-keyspace-events) and
 * its keyspace subscription. The follower owns the list and replaces it when the cluster's masters change.
 */
import type { Log } from "../log.ts";
import type { NodeHandle } from "../redis/server_endpoint.ts";
import { LossWatch } from "./loss_watch.ts";
import { NotificationGuard } from "./notify_guard.ts";
import type { Subscription } from "./subscriber.ts";

export class NodeWatch {
  readonly lossWatch: LossWatch;
  readonly guard: NotificationGuard;
  subscription: Subscription | undefined;
  /** Set once close() ran: a lost subscription of a closed watch is not re-opened. */
  closed = false;

  constructor(readonly node: NodeHandle, sourceName: string, configSet: boolean, log: Log) {
    this.lossWatch = new LossWatch(() => node.commands);
    const name = node.name === "" ? sourceName : node.name;
    this.guard = new NotificationGuard(() => node.commands, name, configSet, log, node.keyTag);
  }

  close(): void {
    this.closed = true;
    this.subscription?.close();
  }
}
