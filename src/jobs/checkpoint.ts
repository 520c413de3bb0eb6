/**
 * `--checkpoint FILE`: where a snapshot copy stands, so that a stopped or failed run continues instead of
 * starting over.
 *
 * - Holds the SCAN cursor of each node up to which every key is written (never further), the counters, and
 *   a fingerprint of source, target, database and filters — never a password.
 * - `save()` writes atomically (a temporary file beside it, then rename), every few seconds while the copy
 *   runs and at exit. A crash leaves the previous complete file.
 * - `open()` of a file made for another source, target or filter throws an OptionError with one line; a
 *   file marked complete (its copy finished) starts a new copy from the beginning.
 */
import { OptionError } from "../redis/options.ts";
import type { SourcePosition } from "../pipeline/stages.ts";

export interface CheckpointScope {
  source: string;
  target: string;
  db: string;
  filters: string;
}

interface CheckpointFile {
  riot: 1;
  fingerprint: string;
  scope: CheckpointScope;
  complete: boolean;
  cursors: Record<string, { cursor: string; done: boolean }>;
  counters: Record<string, number>;
  savedAt: string;
}

export class Checkpoint {
  private dirty = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(readonly path: string, private data: CheckpointFile, readonly resumed: boolean) {}

  static async open(path: string, scope: CheckpointScope): Promise<Checkpoint> {
    const fingerprint = await fingerprintOf(scope);
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new OptionError(`--checkpoint ${path} cannot be read (${(error as Error).message})`);
      }
    }
    const fresh: CheckpointFile = {
      riot: 1,
      fingerprint,
      scope,
      complete: false,
      cursors: {},
      counters: {},
      savedAt: new Date().toISOString(),
    };
    if (text === undefined) return new Checkpoint(path, fresh, false);
    let data: CheckpointFile;
    try {
      data = JSON.parse(text);
    } catch {
      throw new OptionError(
        `--checkpoint ${path} is not a riot checkpoint (not JSON): remove it or name another file`,
      );
    }
    if (data.riot !== 1 || typeof data.cursors !== "object") {
      throw new OptionError(`--checkpoint ${path} is not a riot checkpoint: remove it or name another file`);
    }
    if (data.fingerprint !== fingerprint) {
      throw new OptionError(
        `--checkpoint ${path} was made for another copy (${describeScope(data.scope)}), not this one ` +
          `(${describeScope(scope)}): name another file, or remove it to start over`,
      );
    }
    if (data.complete) return new Checkpoint(path, fresh, false);
    return new Checkpoint(path, data, Object.keys(data.cursors).length > 0);
  }

  /** The cursor to start `node` from ("0" when new); undefined when that node's scan is done. */
  cursorOf(node: string): string | undefined {
    const entry = this.data.cursors[node];
    if (!entry) return "0";
    return entry.done ? undefined : entry.cursor;
  }

  /** Counters saved by the runs before this one. */
  get counters(): Record<string, number> {
    return this.data.counters;
  }

  advance(position: SourcePosition): void {
    this.data.cursors[position.node] = { cursor: position.cursor, done: position.done };
    this.dirty = true;
  }

  setCounters(counters: Record<string, number>): void {
    this.data.counters = counters;
    this.dirty = true;
  }

  markComplete(): void {
    this.data.complete = true;
    this.dirty = true;
  }

  /** Save every `ms` while dirty, until stop(). */
  autosave(ms: number, counters: () => Record<string, number>): void {
    this.timer = setInterval(() => {
      this.setCounters(counters());
      this.save().catch(() => {});
    }, ms);
    Deno.unrefTimer(this.timer);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Write the file if anything changed. Saves run one after the other (an autosave still writing when the
   * final save starts would otherwise share its temporary file, and one rename would fail).
   */
  save(): Promise<void> {
    const next = this.saving.then(() => this.write());
    this.saving = next.catch(() => {});
    return next;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.data.savedAt = new Date().toISOString();
    const temporary = `${this.path}.tmp-${Deno.pid}`;
    await Deno.writeTextFile(temporary, JSON.stringify(this.data, null, 2) + "\n");
    await Deno.rename(temporary, this.path);
  }
}

async function fingerprintOf(scope: CheckpointScope): Promise<string> {
  const bytes = new TextEncoder().encode(
    JSON.stringify([scope.source, scope.target, scope.db, scope.filters]),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function describeScope(scope: CheckpointScope): string {
  return `${scope.source} -> ${scope.target}, db ${scope.db}${scope.filters ? `, ${scope.filters}` : ""}`;
}
