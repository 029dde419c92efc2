/**
 * Rollout ids made unique. Real dumps repeat ids (SkyThought files hold four rows with id "139";
 * sharded datasets restart their numbering in every file), and a repeated id makes DPO pairs read
 * `chosen_id == rejected_id` and `duplicate_of` ambiguous. The group step sees every row in global
 * order; the first row with an id keeps it, every later one is renamed
 *
 *     <id>@<source>:<file>:<line>        (then `:<rollout index>`, then `#2`, `#3`… if that is taken too)
 *
 * and keeps its original id in `annotations.group.originalId`. The count goes into the manifest
 * (`groups.duplicateIds`); `dedupe.duplicateIds: "fail"` refuses such inputs instead.
 *
 * Ids are remembered as 96-bit keys (the first 12 bytes of their sha-256) in an open-addressing table
 * of typed arrays, ~16 bytes per row at most: two different ids are taken for one with probability
 * below n²/2^97 (≈ 6·10⁻¹⁴ at 10⁸ rows).
 */
import { createHash } from "node:crypto";

const EMPTY = 0;

export class IdSet {
  private keys: Uint32Array;
  private used = 0;

  constructor(capacity = 1 << 16) {
    this.keys = new Uint32Array(3 * capacity);
  }

  private get capacity(): number {
    return this.keys.length / 3;
  }

  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    const d = createHash("sha256").update(id).digest();
    // 0 marks an empty slot: a key whose first word is 0 is stored with its lowest bit set (96 → 95 bits there)
    const a = d.readUInt32LE(0) || 1;
    const b = d.readUInt32LE(4);
    const c = d.readUInt32LE(8);
    if (4 * (this.used + 1) > 3 * this.capacity) this.grow();
    return this.insert(a, b, c);
  }

  private insert(a: number, b: number, c: number): boolean {
    const keys = this.keys;
    const mask = this.capacity - 1;
    for (let slot = (b ^ c) & mask; ; slot = (slot + 1) & mask) {
      const at = 3 * slot;
      if (keys[at] === EMPTY) {
        keys[at] = a;
        keys[at + 1] = b;
        keys[at + 2] = c;
        this.used++;
        return true;
      }
      if (keys[at] === a && keys[at + 1] === b && keys[at + 2] === c) return false;
    }
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Uint32Array(2 * old.length);
    this.used = 0;
    for (let at = 0; at < old.length; at += 3) if (old[at] !== EMPTY) this.insert(old[at]!, old[at + 1]!, old[at + 2]!);
  }
}

/** Where a rollout came from, for its new id. */
export interface IdSource {
  id: string;
  source: string;
  file: string;
  /** 0-based row (line) in the file */
  row: number;
  rolloutIndex: number;
}

export class DuplicateIds {
  private readonly seen = new IdSet();
  /** rows renamed so far */
  count = 0;
  /** the first few, for messages */
  readonly examples: { id: string; at: string }[] = [];

  /** The id this rollout keeps: its own the first time, else a new unique one. */
  unique(r: IdSource): string {
    if (this.seen.add(r.id)) return r.id;
    this.count++;
    const at = `${r.source}:${r.file}:${r.row + 1}`;
    if (this.examples.length < 5) this.examples.push({ id: r.id, at });
    const candidates = [`${r.id}@${at}`, `${r.id}@${at}:${r.rolloutIndex}`];
    for (const c of candidates) if (this.seen.add(c)) return c;
    for (let n = 2; ; n++) if (this.seen.add(`${candidates[1]}#${n}`)) return `${candidates[1]}#${n}`;
  }
}
