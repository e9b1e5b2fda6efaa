import type { Answer, Args, Backend } from './backend';
import { ApiError, isErrorBody } from './errors';
import type { CommandName } from './types.gen';

type Fetch = typeof fetch;

/**
 * The Backend of `chartkeep serve`: `POST /api/<command>` with the args as JSON on the same
 * origin. The launch token lives in an HttpOnly cookie set by the first page load, so the
 * request only has to send same-origin credentials; the UI never sees the token.
 */
export class HttpBackend implements Backend {
  readonly #fetch: Fetch;
  readonly #base: string;

  constructor(fetchFn: Fetch = (input, init) => fetch(input, init), base = '/api/') {
    this.#fetch = fetchFn;
    this.#base = base;
  }

  /** A browser cannot see this computer's paths: the user types them. */
  readonly canPickPaths = false;

  async pickPath(): Promise<string | null> {
    return null;
  }

  /** A browser tab has no desktop menu. */
  onMenu(): () => void {
    return () => {};
  }

  async call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>> {
    let response: Response;
    try {
      response = await this.#fetch(this.#base + command, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
        body: JSON.stringify(args ?? {}),
      });
    } catch {
      throw new ApiError(
        'network_error',
        'Chartkeep is not answering. Check that it is still running, then try again.',
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(
        'bad_response',
        `Chartkeep answered ${response.status} ${response.statusText} without a readable body.`,
      );
    }
    if (!response.ok) {
      if (isErrorBody(body)) throw new ApiError(body.code, body.message);
      throw new ApiError('bad_response', `Chartkeep answered ${response.status}.`);
    }
    return body as Answer<C>;
  }
}
