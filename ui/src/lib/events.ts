/**
 * The app's typed event bus: a saved record announces itself here so that every view
 * showing it (the banner, the summary, a section) refreshes without a reload, and without
 * the saving form knowing who else shows the data.
 */
export interface AppEvents {
  /** A chart record was added, changed or retracted. `kind` is the API's domain (`allergy`). */
  'record-saved': { kind: string; patient: string; id: string };
  /** A patient's demographics were registered or changed. */
  'patient-saved': { patient: string };
  /**
   * A conflict was settled (kept value or merged value). The review list, the status line
   * and the chart's banner count follow it; `patient` is null for users and settings.
   */
  'conflict-resolved': { row: string; field: string; entity: string; patient: string | null };
  /** The session locked (idle, by hand, or the engine said `session_locked`). */
  'session-locked': Record<string, never>;
}

export type Listener<T> = (payload: T) => void;

export class EventBus<E extends object = AppEvents> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Subscribes; returns the function that unsubscribes (hand it to `$effect` cleanup). */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof E>(name: K, payload: E[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) (listener as Listener<E[K]>)(payload);
  }
}

/** The bus the running app shares; tests make their own. */
export const events = new EventBus<AppEvents>();
