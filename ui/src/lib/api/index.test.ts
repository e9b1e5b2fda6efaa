import { describe, expect, it } from 'vitest';
import { inTauri } from './index';

describe('choosing the backend', () => {
  it('uses Tauri only inside the desktop shell', () => {
    expect(inTauri({ __TAURI_INTERNALS__: {} })).toBe(true);
    expect(inTauri({})).toBe(false);
  });
});
