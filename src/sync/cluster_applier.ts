/**
 * Stream batches applied to a cluster target exactly once. A cluster runs a MULTI/EXEC only when every key
 * of it is in one slot, so a batch is cut by slot: each slot's commands (in stream order) are one
 * transaction on the slot's master, with a marker of its own (`<marker>:{tag}`, the tag hashing to that
 * slot), through a StreamApplier (stream_applier.ts: after a lost connection, the slot's marker says
 * whether its part ran). Slots are independent, so their parts go in parallel.
 *
 * - Keys come from the source's command table (command_table.ts). A command whose keys span several
 *   slots is cut by slot when it acts on each key alone (DEL, UNLINK, TOUCH, MSET, MSETNX as MSET), else
 *   it is not applied and is reported (a cluster cannot run it either: CROSSSLOT).
 * - Keyless commands (FLUSHALL, FUNCTION LOAD...) go to every master, in stream order: the batch's keyed
 *   commands before them are applied first. They are not transactional (one node may have applied one
 *   when another connection is lost); FLUSHALL, FLUSHDB and FUNCTION ... REPLACE are safe to repeat.
 * - SELECT is not sent (a cluster has database 0 only).
 * - A slot that moved (MOVED/ASK when queued: nothing ran) is routed again after a topology refresh.
 *
 * Resuming after a crash uses the checkpoint (per-slot markers hold per-slot batch positions, which a new
 * run's batches do not share): exact after SIGINT, not after SIGKILL.
 */
import { type Command, ErrorReply, type RespValue } from "../../resp/mod.ts";
import type { ClusterConnection } from "../redis/cluster/cluster_connection.ts";
import { hashTagForSlot, slotOf } from "../redis/cluster/slots.ts";
import type { KeyFailure } from "../pipeline/failure.ts";
import type { Commands } from "../redis/commands.ts";
import type { RetryPolicy } from "../retry.ts";
import { sleep } from "../retry.ts";
import type { CommandTable } from "./command_table.ts";
import { RedirectError, StreamApplier } from "./stream_applier.ts";

export interface ClusterApplierOptions {
  cluster: ClusterConnection;
  table: CommandTable;
  /** Keys of a command whose keys depend on its arguments (COMMAND GETKEYS on the source). */
  getKeys: (args: Uint8Array[]) => Promise<Uint8Array[] | undefined>;
  retry: RetryPolicy;
}

/** What became of one stream command: replies (undefined when its batch part ran before a lost connection). */
export type ClusterReply = RespValue | undefined | { refused: string };

const SPLITTABLE: Record<string, { args: number; as?: string }> = {
  del: { args: 1 },
  unlink: { args: 1 },
  touch: { args: 1 },
  mset: { args: 2 },
  msetnx: { args: 2, as: "MSET" },
};
const MOVES_ALLOWED = 16;
const latin1 = new TextDecoder("latin1");

interface Part {
  slot: number;
  commands: Command[];
  /** Stream command index each part command answers. */
  owners: number[];
}

export class ClusterStreamApplier {
  readonly marker = `riot:sync:applied:${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
  private readonly appliers = new Map<number, StreamApplier>();

  constructor(private readonly options: ClusterApplierOptions) {}

  /** Applies the batch; one reply per command (an ErrorReply for a refusal, `{ refused }` when not sent). */
  async apply(commands: Command[], position: string): Promise<ClusterReply[]> {
    const replies: ClusterReply[] = new Array(commands.length).fill(undefined);
    let parts = new Map<number, Part>();
    for (let i = 0; i < commands.length; i++) {
      const args = commands[i] as Uint8Array[];
      const name = latin1.decode(args[0]).toLowerCase();
      if (name === "select") continue;
      const keys = await this.keysOf(args);
      if (keys === undefined) {
        replies[i] = { refused: `the keys of ${name.toUpperCase()} are not known` };
      } else if (keys.length === 0) {
        await this.flush(parts, position, replies);
        parts = new Map();
        replies[i] = await this.onEveryMaster(args);
      } else {
        const routed = this.bySlot(args, name, keys);
        if (!routed) replies[i] = { refused: `${name.toUpperCase()} has keys in several slots` };
        else for (const [slot, command] of routed) add(parts, slot, command, i);
      }
    }
    await this.flush(parts, position, replies);
    return replies;
  }

  /** Deletes every marker this run set. */
  async clear(): Promise<void> {
    await Promise.all([...this.appliers.values()].map((applier) => applier.clear()));
  }

  private async keysOf(args: Uint8Array[]): Promise<Uint8Array[] | undefined> {
    const found = this.options.table.keysOf(args);
    if (found.kind === "keys") return found.keys;
    if (found.kind === "movable") return await this.options.getKeys(args);
    return undefined;
  }

  /** The command per slot: itself when all keys share one, cut per slot when splittable, else undefined. */
  private bySlot(args: Uint8Array[], name: string, keys: Uint8Array[]): [number, Command][] | undefined {
    const slots = keys.map(slotOf);
    if (slots.every((slot) => slot === slots[0])) return [[slots[0], args]];
    const split = SPLITTABLE[name];
    if (!split) return undefined;
    const perSlot = new Map<number, Command[number][]>();
    for (let k = 0, i = 1; i < args.length; k++, i += split.args) {
      let command = perSlot.get(slots[k]);
      if (!command) perSlot.set(slots[k], command = [split.as ?? args[0]]);
      command.push(...args.slice(i, i + split.args));
    }
    return [...perSlot];
  }

  /** Sends every slot's part as its own transaction, all in parallel; replies go to their commands. */
  private async flush(parts: Map<number, Part>, position: string, replies: ClusterReply[]): Promise<void> {
    await Promise.all([...parts.values()].map(async (part) => {
      const partReplies = await this.applyPart(part, position);
      partReplies.forEach((reply, j) => {
        const owner = part.owners[j];
        // A split command answers once per slot: keep the first error, else the first reply.
        if (replies[owner] === undefined || reply instanceof ErrorReply) replies[owner] = reply;
      });
    }));
  }

  private async applyPart(part: Part, position: string): Promise<(RespValue | undefined)[]> {
    for (let moves = 0;; moves++) {
      try {
        return await this.applierFor(part.slot).apply(part.commands, 0, 0, position);
      } catch (error) {
        if (!(error instanceof RedirectError) || moves >= MOVES_ALLOWED) throw error;
        await sleep(Math.min(1000, 20 * 2 ** moves));
        await this.options.cluster.refresh();
      }
    }
  }

  private applierFor(slot: number): StreamApplier {
    let applier = this.appliers.get(slot);
    if (!applier) {
      const cluster = this.options.cluster;
      const connection = (): Promise<Commands> => {
        const node = cluster.routeOf(slot);
        if (!node) throw new Error(`No master serves slot ${slot}`);
        return node.connection();
      };
      applier = new StreamApplier({
        connection,
        reconnect: () => cluster.refresh(),
        retry: this.options.retry,
        markerDb: 0,
        marker: new TextEncoder().encode(`${this.marker}:{${hashTagForSlot(slot)}}`),
      });
      this.appliers.set(slot, applier);
    }
    return applier;
  }

  /** A keyless command on every master; the first error is its reply. */
  private async onEveryMaster(args: Uint8Array[]): Promise<RespValue> {
    const replies = await Promise.all(this.options.cluster.masters().map((node) => node.pipeline([args])));
    return replies.map(([reply]) => reply).find((reply) => reply instanceof ErrorReply) ?? replies[0][0];
  }
}

function add(parts: Map<number, Part>, slot: number, command: Command, owner: number): void {
  let part = parts.get(slot);
  if (!part) parts.set(slot, part = { slot, commands: [], owners: [] });
  part.commands.push(command);
  part.owners.push(owner);
}

/** A stream command a cluster target cannot run (keys in several slots, keys unknown). */
export function notApplied(key: Uint8Array, reason: string): KeyFailure {
  return {
    key,
    stage: "write",
    code: "other",
    reason,
    advice: "give keys written together a common hash tag on the source, then copy these keys again",
  };
}
