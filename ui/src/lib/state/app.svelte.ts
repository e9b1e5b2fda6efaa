import type { Backend } from '../api/backend';
import { ApiError, toApiError } from '../api/errors';
import { LockWatchingBackend } from '../api/locking';
import { syncCall } from '../api/sync-types';
import type { AppStatus, PracticeCreated, PracticeJoined, SessionStatus } from '../api/types.gen';
import type { AppEvents, EventBus } from '../events';
import type { ServiceContext } from '../services/context';
import { IdleTimer, type IdleClock } from './idle';
import { hasPermission, type Permission } from './permissions';

/** Which whole-window screen shows. Only `main` ever holds patient data. */
export type Screen =
  'starting' | 'unreachable' | 'first-run' | 'unlock' | 'login' | 'locked' | 'main';

/**
 * Where the user is inside the main screen. Kept across a lock (ids only, no patient data)
 * so that resuming returns to the same chart and section.
 */
export type Place =
  | { view: 'patients' }
  | { view: 'register' }
  | { view: 'chart'; patient: string; section: string }
  | { view: 'admin' }
  /** "Needs review": every open conflict and duplicate, or one chart's (`patient`). */
  | { view: 'review'; patient: string | null }
  /** One conflict's review screen; `patient` is the list's filter to return to. */
  | { view: 'conflict'; row: string; field: string; patient: string | null }
  | { view: 'sync' }
  /** Import records: FHIR files from another system. */
  | { view: 'import' }
  /** Lab results (HL7 v2) waiting for a person to file or refuse them. */
  | { view: 'lab-results' }
  /** Practice-wide: who is due for preventive care, the recall list, the registries. */
  | { view: 'population' };

/**
 * The app's session state: what the host says (`app.status`), who is logged in, whether
 * the screen is locked, and where the user is. Every host command goes through here so
 * the screen follows the engine's answer.
 */
export class AppState {
  status = $state<AppStatus | null>(null);
  session = $state<SessionStatus | null>(null);
  startError = $state<ApiError | null>(null);
  /** True from the instant a lock is asked for, before the engine answers. */
  locked = $state(false);
  place = $state<Place>({ view: 'patients' });

  readonly ctx: ServiceContext;
  readonly #events: EventBus<AppEvents>;
  readonly #clock: IdleClock | undefined;
  #idle: IdleTimer | null = null;
  // Not reactive state: nothing renders from it.
  #beforeLock: Promise<unknown>[] = [];

  screen: Screen = $derived.by(() => {
    if (!this.status) return this.startError ? 'unreachable' : 'starting';
    if (this.status.state === 'none') return 'first-run';
    if (this.status.state === 'locked') return 'unlock';
    if (!this.session) return 'login';
    if (this.locked || this.session.locked) return 'locked';
    return 'main';
  });

  constructor(backend: Backend, events: EventBus<AppEvents>, clock?: IdleClock) {
    this.#events = events;
    this.#clock = clock;
    this.ctx = {
      backend: new LockWatchingBackend(
        backend,
        () => this.#showLock(),
        () => void this.refresh().catch(() => {}),
      ),
      events,
    };
  }

  can(permission: Permission): boolean {
    return hasPermission(this.session, permission);
  }

  /** Asks the host what to show; on start and after every host command that changes it. */
  async refresh(): Promise<void> {
    try {
      this.#apply(await this.ctx.backend.call('app.status', {}));
      this.startError = null;
    } catch (e) {
      this.startError = toApiError(e);
      throw this.startError;
    }
  }

  async create(
    adminName: string,
    adminPassword: string,
    passphrase: string | null,
  ): Promise<PracticeCreated> {
    // The status is refreshed only after the user confirms the recovery code is kept.
    return this.ctx.backend.call('app.create', {
      admin_name: adminName,
      admin_password: adminPassword,
      passphrase,
    });
  }

  /**
   * Joins a practice through a member workstation's one-time code: this workstation gets
   * its own key (keychain or passphrase, as at create) and an empty store that sync fills,
   * then logs in as usual with a password staff already have.
   */
  async join(code: string, address: string, passphrase: string | null): Promise<PracticeJoined> {
    // Like create: the status is refreshed once the new recovery code is kept.
    return syncCall(this.ctx.backend, 'app.join', { code, address, passphrase });
  }

  async unlock(passphrase: string | null): Promise<void> {
    this.#apply(await this.ctx.backend.call('app.unlock', { passphrase }));
  }

  async openFolder(folder: string): Promise<void> {
    this.#apply(await this.ctx.backend.call('app.open_folder', { folder }));
  }

  async restore(
    backupFile: string,
    recoveryCode: string,
    passphrase: string | null,
  ): Promise<void> {
    this.#apply(
      await this.ctx.backend.call('app.restore', {
        backup_file: backupFile,
        recovery_code: recoveryCode,
        passphrase,
      }),
    );
  }

  async login(user: string, password: string): Promise<void> {
    await this.ctx.backend.call('app.login', { user, password });
    this.place = { view: 'patients' };
    this.locked = false;
    await this.refresh();
  }

  /**
   * Locks at once: the screen changes before the engine is even asked. Saves that the lock
   * itself set off (a draft note's last words) finish first, so nothing typed is lost to a
   * lock that would otherwise overtake them on the way to the engine.
   */
  async lock(): Promise<void> {
    this.#showLock();
    const pending = this.#beforeLock;
    this.#beforeLock = [];
    if (pending.length > 0) await Promise.allSettled(pending);
    try {
      await this.ctx.backend.call('app.lock', {});
    } catch {
      // The screen is already locked; a failed call cannot unlock it.
    }
  }

  /** The same user's password; returns to the same place. */
  async resume(password: string): Promise<void> {
    await this.ctx.backend.call('app.resume', { password });
    await this.refresh();
    this.locked = false;
    this.#startIdle();
  }

  /** "Switch user": the next person starts at the patient list. */
  async logout(): Promise<void> {
    this.#stopIdle();
    await this.ctx.backend.call('app.logout', {});
    this.place = { view: 'patients' };
    this.locked = false;
    this.session = null;
    await this.refresh();
  }

  /** The user pressed a key or moved the pointer. */
  /** A save that must reach the engine before the session locks (see `lock`). */
  saveBeforeLock(save: Promise<unknown>): void {
    this.#beforeLock.push(save);
  }

  touch(): void {
    this.#idle?.touch();
  }

  go(place: Place): void {
    this.place = place;
  }

  #apply(status: AppStatus): void {
    this.status = status;
    this.session = status.session ?? null;
    if (status.session?.locked) this.#showLock();
    else if (status.session) this.#startIdle();
    else this.#stopIdle();
  }

  #showLock(): void {
    if (!this.locked) {
      this.locked = true;
      this.#stopIdle();
      this.#events.emit('session-locked', {});
    }
  }

  #startIdle(): void {
    this.#stopIdle();
    const minutes = this.session?.idle_lock_minutes ?? 0;
    if (minutes > 0 && !this.locked) {
      this.#idle = new IdleTimer(minutes, () => void this.lock(), this.#clock);
      this.#idle.start();
    }
  }

  #stopIdle(): void {
    this.#idle?.stop();
    this.#idle = null;
  }
}
