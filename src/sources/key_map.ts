/**
 * A `--key-proc` template bound to the source database, with the lookups it needs on the source: the target
 * names of a batch of source keys (one pipelined TYPE when the template has `#{type}`), and, for a batch of
 * target keys, which ones no existing source key maps to (the verification's target pass and the live
 * re-scan's prune: such a key is "only in target").
 */
import { ErrorReply, toText } from "../../resp/mod.ts";
import type { Commands } from "../redis/commands.ts";
import { globMatch } from "./glob.ts";
import type { ScanOptions } from "./key_scanner.ts";
import { CORE_TYPES, KeyTemplate, type Preimage } from "./key_template.ts";

export class KeyMap {
  constructor(readonly template: KeyTemplate, readonly db: number) {}

  static parse(text: string, db: number): KeyMap {
    return new KeyMap(KeyTemplate.parse(text), db);
  }

  apply(key: Uint8Array, type: string): Uint8Array {
    return this.template.apply(key, type, this.db);
  }

  /**
   * The names a deleted source key may have on the target: one, or with `#{type}` one per core type (its
   * type is gone with it; a module type's image is left to the verification and re-scans).
   */
  imagesOfDeleted(key: Uint8Array): Uint8Array[] {
    if (!this.template.usesType) return [this.apply(key, "")];
    return CORE_TYPES.map((type) => this.apply(key, type));
  }

  /** Target names of source keys, in order; TYPE is read on `source` only when the template needs it. */
  async targetsOf(source: Commands, keys: Uint8Array[]): Promise<Uint8Array[]> {
    if (!this.template.usesType) return keys.map((key) => this.apply(key, ""));
    const types = await source.pipelineKeys([["TYPE"]], keys);
    return keys.map((key, i) => this.apply(key, typeText(types[i])));
  }

  /**
   * For each target key: true when it is "only in target": no existing source key (of the type and
   * database the template says) maps to it, and it is in the copy's scope. Without filters every such key
   * is; with filters (`scan`'s pattern, type and filter) only a key that some in-scope source key would
   * map to (a key the template cannot produce from an in-scope key is none of this copy's business).
   */
  async onlyInTarget(source: Commands, names: Uint8Array[], scan: ScanOptions): Promise<boolean[]> {
    const candidates = names.map((name) =>
      this.template.preimages(name).filter((p) => p.db === undefined || p.db === this.db)
    );
    const keys = candidates.flat().map((p) => p.key);
    const types = keys.length === 0 ? [] : await source.pipelineKeys([["TYPE"]], keys);
    const filtered = scan.pattern !== undefined || scan.type !== undefined || scan.filter !== undefined;
    const pattern = scan.pattern === undefined ? undefined : new TextEncoder().encode(scan.pattern);
    const inScope = (p: Preimage) =>
      (pattern === undefined || globMatch(pattern, p.key)) && (scan.filter?.(p.key) ?? true) &&
      (scan.type === undefined || p.type === undefined || p.type === scan.type);
    let at = 0;
    return candidates.map((list) => {
      let image = false;
      for (const preimage of list) {
        const type = typeText(types[at++]);
        if (type !== "none" && (preimage.type === undefined || preimage.type === type)) image = true;
      }
      return !image && (!filtered || list.some(inScope));
    });
  }
}

function typeText(reply: unknown): string {
  if (reply instanceof ErrorReply) throw reply;
  return toText(reply as Parameters<typeof toText>[0]);
}
