import { describe, expect, it, vi } from 'vitest';
import { HttpBackend } from './http';
import { ApiError } from './errors';

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('HttpBackend', () => {
  it('posts the args as JSON to /api/<command> with same-origin credentials', async () => {
    const fetchFn = vi.fn(async () => answer(200, [{ id: 'p1', name: 'Doe, Jane' }]));
    const backend = new HttpBackend(fetchFn);
    const hits = await backend.call('patient.search', { query: 'doe' });
    expect(hits).toEqual([{ id: 'p1', name: 'Doe, Jane' }]);
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/patient.search');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(init.body as string)).toEqual({ query: 'doe' });
  });

  it('sends host commands the same way and {} when there are no args', async () => {
    const fetchFn = vi.fn(async () => answer(200, {}));
    await new HttpBackend(fetchFn).call('app.lock', {});
    const [url, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/app.lock');
    expect(init.body).toBe('{}');
  });

  it("turns an error answer into an ApiError with the engine's code and message", async () => {
    const fetchFn = vi.fn(async () =>
      answer(401, { code: 'wrong_password', message: "Wrong password for user 'drlee'." }),
    );
    const err = await new HttpBackend(fetchFn)
      .call('app.login', { user: 'drlee', password: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('wrong_password');
    expect((err as ApiError).message).toBe("Wrong password for user 'drlee'.");
  });

  it('reports an unreachable server as network_error', async () => {
    const fetchFn = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = await new HttpBackend(fetchFn).call('app.status', {}).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('network_error');
  });

  it('reports an error status without an error body as bad_response', async () => {
    const fetchFn = vi.fn(async () => new Response('<html>oops</html>', { status: 502 }));
    const err = await new HttpBackend(fetchFn).call('app.status', {}).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('bad_response');
  });
});
