// The isolation application (Tauri's isolation pattern): every IPC message from the page
// passes through this sandboxed frame, which Tauri encrypts before it reaches the core, so
// a script that bypasses the page's own code cannot forge a message. The allow-list itself
// lives in src-tauri/capabilities/main.json, enforced in Rust; this hook only refuses
// messages that are not shaped like an invoke, and passes the rest on unchanged.
window.__TAURI_ISOLATION_HOOK__ = (payload) => {
  if (payload === null || typeof payload !== 'object' || typeof payload.cmd !== 'string') {
    throw new TypeError('Chartkeep: malformed IPC message refused');
  }
  return payload;
};
