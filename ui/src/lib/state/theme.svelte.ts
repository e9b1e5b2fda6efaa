export type ThemeChoice = 'system' | 'light' | 'dark';

/**
 * Light or dark: follows the system unless the user picks one. Kept in memory only (no
 * browser storage), so each launch starts from the system setting.
 */
export class ThemeState {
  choice = $state<ThemeChoice>('system');
  readonly #root: HTMLElement;

  constructor(root: HTMLElement = document.documentElement) {
    this.#root = root;
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === 'system') delete this.#root.dataset.theme;
    else this.#root.dataset.theme = choice;
  }

  /** The button cycles system → light → dark → system. */
  next(): void {
    this.set(this.choice === 'system' ? 'light' : this.choice === 'light' ? 'dark' : 'system');
  }
}
