import type { Answer, Args, Backend, MenuAction, PathPurpose } from './backend';
import { ApiError } from './errors';
import type { CommandName, ErrorCode } from './types.gen';

type Handler<C extends CommandName> = (args: Args<C>) => Answer<C> | Promise<Answer<C>>;

/**
 * A Backend for unit tests of state classes and services: each command answers from a
 * handler the test sets, and every call is recorded. (Integration tests use the real
 * engine through `chartkeep serve`.)
 */
export class FakeBackend implements Backend {
  readonly calls: { command: CommandName; args: unknown }[] = [];
  readonly #handlers = new Map<CommandName, Handler<never>>();
  readonly #menu = new Set<(action: MenuAction) => void>();

  onMenu(handler: (action: MenuAction) => void): () => void {
    this.#menu.add(handler);
    return () => this.#menu.delete(handler);
  }

  /** Set to a path to act as the desktop's file dialog would; `null` keeps the browser's typed paths. */
  pickedPath: string | null = null;

  get canPickPaths(): boolean {
    return this.pickedPath !== null;
  }

  async pickPath(purpose: PathPurpose): Promise<string | null> {
    this.calls.push({ command: `pick:${purpose}` as CommandName, args: {} });
    return this.pickedPath;
  }

  /** As the desktop menu would: File → New patient or Backup now. */
  menu(action: MenuAction): void {
    for (const h of this.#menu) h(action);
  }

  on<C extends CommandName>(command: C, handler: Handler<C>): this {
    this.#handlers.set(command, handler as unknown as Handler<never>);
    return this;
  }

  /** Makes a command fail with the engine's error shape. */
  fail(command: CommandName, code: ErrorCode, message = `${code} from the fake`): this {
    this.#handlers.set(command, () => {
      throw new ApiError(code, message);
    });
    return this;
  }

  /** The arguments of every call of one command, in order, typed as that command's arguments. */
  callsOf<C extends CommandName>(command: C): Args<C>[] {
    return this.calls.filter((c) => c.command === command).map((c) => c.args as Args<C>);
  }

  async call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>> {
    this.calls.push({ command, args });
    const handler = this.#handlers.get(command) as Handler<C> | undefined;
    if (!handler) throw new ApiError('unknown_command', `The fake has no answer for ${command}`);
    return handler(args);
  }
}
