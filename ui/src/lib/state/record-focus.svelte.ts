/**
 * "Open this record": the timeline asks, the section that holds the record takes the
 * request when it mounts and opens it. Only ids, in memory.
 */
export class RecordFocus {
  #pending = $state<{ kind: string; id: string } | null>(null);

  request(kind: string, id: string): void {
    this.#pending = { kind, id };
  }

  /** The id asked for, if of one of these kinds; the request is used up. */
  take(...kinds: string[]): string | null {
    const p = this.#pending;
    if (!p || !kinds.includes(p.kind)) return null;
    this.#pending = null;
    return p.id;
  }
}

export const recordFocus = new RecordFocus();
