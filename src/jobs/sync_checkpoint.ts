/**
 * The `--checkpoint FILE` of `replicate --mode sync`: where each replication link stands (replication id,
 * acknowledged offset, selected database, the name of the target's marker key), so that a stopped run
 * continues with a partial resync instead of a full one.
 *
 * - A standalone source: the file is one position, `{replid, offset, db, marker}`.
 * - A cluster source: one position per master, `{masters: {"host:port": {replid, offset, db, marker}}}`
 *   (each master has its own replication id and offset); a master not in the file starts with a full sync.
 * - Writes are atomic (a temporary file beside it, then rename) and, for a cluster, one at a time (links
 *   write every second, each the whole map with its own entry replaced).
 * - A file of the other kind (standalone vs cluster) is an OptionError with one line. Never a password.
 */
import { OptionError } from "../redis/options.ts";

export interface SyncPosition {
  replid: string;
  offset: number;
  db: number;
  /** The target's marker key of the run that wrote it (stream_applier.ts), when it has one. */
  marker?: string;
}

/** Where one link's position is kept. */
export interface PositionStore {
  read(): Promise<SyncPosition | undefined>;
  write(position: SyncPosition): Promise<void>;
}

/** The checkpoint of a standalone source: the file is the position. */
export function singlePositionFile(path: string): PositionStore {
  return {
    read: async () => {
      const saved = await readJson(path);
      if (saved === undefined) return undefined;
      if (saved.masters !== undefined) throw otherKind(path, "a cluster source (-c)");
      return positionOf(saved);
    },
    write: (position) => writeAtomically(path, position),
  };
}

/** The checkpoint of a cluster source: one position per master, in one file. */
export class ClusterPositionFile {
  private masters: Record<string, SyncPosition> = {};
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<ClusterPositionFile> {
    const file = new ClusterPositionFile(path);
    const saved = await readJson(path);
    if (saved !== undefined) {
      if (typeof saved.masters !== "object" || saved.masters === null) {
        throw otherKind(path, "a standalone source (without -c)");
      }
      for (const [master, value] of Object.entries(saved.masters)) {
        const position = positionOf(value as Record<string, unknown>);
        if (position) file.masters[master] = position;
      }
    }
    return file;
  }

  /** Whether the file holds a position for `master`. */
  has(master: string): boolean {
    return master in this.masters;
  }

  /**
   * Gives `master` (a master with no entry, e.g. a replica promoted by a failover) the entry of a master not
   * among `current` whose replication id is one of `replids` (the master's master_replid, or its
   * master_replid2: a promoted replica's is its old master's replid, so PSYNC continues the old master's
   * offset there). Returns the old master's name.
   */
  takeOver(master: string, replids: string[], current: string[]): string | undefined {
    const old = Object.keys(this.masters).find((name) =>
      !current.includes(name) && replids.includes(this.masters[name].replid)
    );
    if (old === undefined) return undefined;
    this.masters[master] = this.masters[old];
    delete this.masters[old];
    return old;
  }

  /** The store of one master's link. */
  forMaster(master: string): PositionStore {
    return {
      read: () => Promise.resolve(this.masters[master]),
      write: (position) => {
        this.masters[master] = position;
        this.writing = this.writing.catch(() => {}).then(() =>
          writeAtomically(this.path, { masters: this.masters })
        );
        return this.writing;
      },
    };
  }
}

function positionOf(saved: Record<string, unknown>): SyncPosition | undefined {
  if (typeof saved.replid !== "string" || !Number.isSafeInteger(saved.offset)) return undefined;
  return {
    replid: saved.replid,
    offset: saved.offset as number,
    db: Number.isSafeInteger(saved.db) ? saved.db as number : 0,
    marker: typeof saved.marker === "string" ? saved.marker : undefined,
  };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new OptionError(`--checkpoint ${path} cannot be read (${(error as Error).message})`);
  }
  try {
    const saved = JSON.parse(text);
    if (saved && typeof saved === "object") return saved;
  } catch {
    // reported below
  }
  throw new OptionError(
    `--checkpoint ${path} is not a sync checkpoint (not JSON): remove it or name another file`,
  );
}

async function writeAtomically(path: string, data: unknown): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(data));
  await Deno.rename(`${path}.tmp`, path);
}

function otherKind(path: string, kind: string): OptionError {
  return new OptionError(
    `--checkpoint ${path} was made by a sync of ${kind}, not this one: name another file, or remove it to start over`,
  );
}
