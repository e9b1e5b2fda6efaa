import type { ErrorCode } from './types.gen';

/**
 * An engine error as the UI sees it: branch on `code`, show `message` (which says what to
 * do). Transport failures get codes of their own so screens can still tell them apart.
 */
export class ApiError extends Error {
  readonly code: ErrorCode | TransportErrorCode;

  constructor(code: ErrorCode | TransportErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** Failures that never reached the engine, or whose answer could not be read. */
export type TransportErrorCode = 'network_error' | 'bad_response';

/** Whether a value looks like the engine's `{code, message}` error body. */
export function isErrorBody(value: unknown): value is { code: ErrorCode; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Turns whatever a transport threw into an ApiError, keeping the engine's code and text. */
export function toApiError(value: unknown): ApiError {
  if (value instanceof ApiError) return value;
  if (isErrorBody(value)) return new ApiError(value.code, value.message);
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isErrorBody(parsed)) return new ApiError(parsed.code, parsed.message);
    } catch {
      // not JSON: fall through and keep the text as the message
    }
    return new ApiError('internal_error', value);
  }
  if (value instanceof Error) return new ApiError('internal_error', value.message);
  return new ApiError('internal_error', 'The app failed without saying why.');
}
