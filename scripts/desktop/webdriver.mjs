// A minimal W3C WebDriver client over plain HTTP (Node's fetch), enough to drive the
// desktop window through WebKitWebDriver without pulling a client library.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** An XPath string literal for any text (XPath 1 has no escapes). */
const xpathString = (s) =>
  s.includes("'") ? `concat('${s.split("'").join(`', "'", '`)}')` : `'${s}'`;

export class WebDriver {
  constructor(base, sessionId) {
    this.base = base;
    this.sessionId = sessionId;
  }

  static async request(base, method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${v.error ?? ''} ${v.message ?? ''}`);
    }
    return json.value;
  }

  /** Opens a session that launches `binary` with `args` (WebKitGTK's own capability). */
  static async launch(base, binary, args) {
    const value = await WebDriver.request(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: { 'webkitgtk:browserOptions': { binary, args } },
      },
    });
    return new WebDriver(base, value.sessionId);
  }

  cmd(method, path, body) {
    return WebDriver.request(this.base, method, `/session/${this.sessionId}${path}`, body);
  }

  /** Runs `body` as an async function in the page; its resolved value comes back. */
  async run(body, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      (async (...args) => { ${body} })(...Array.from(arguments).slice(0, -1))
        .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ thrown: String(e && e.stack || e) }));`;
    const r = await this.cmd('POST', '/execute/async', { script, args });
    if (r && 'thrown' in r) throw new Error(`page script failed: ${r.thrown}`);
    return r.ok;
  }

  /** Waits (polling the page, bounded) until `body` returns a truthy value. */
  async until(body, what, timeoutMs = 20000) {
    const start = Date.now();
    for (;;) {
      const v = await this.run(body).catch(() => null);
      if (v) return v;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }

  /** The first element matching an XPath, waiting (bounded) for it to appear. */
  async waitFor(xpath, timeoutMs = 20000) {
    const start = Date.now();
    for (;;) {
      const v = await this.cmd('POST', '/element', { using: 'xpath', value: xpath }).catch(() => null);
      if (v) return v[ELEMENT];
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${xpath}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A button by its visible text. */
  button(text) {
    return this.waitFor(`//button[normalize-space()=${xpathString(text)}]`);
  }

  /** A form control by the text of its <label for=...>. */
  field(label) {
    return this.waitFor(`//*[@id=//label[normalize-space()=${xpathString(label)}]/@for]`);
  }

  click(element) {
    return this.cmd('POST', `/element/${element}/click`, {});
  }

  /** Types into a field as a user would (real key events). */
  type(element, text) {
    return this.cmd('POST', `/element/${element}/value`, { text });
  }

  /**
   * Types into a field and checks it holds exactly that text afterwards. WebKitWebDriver
   * answers once the key events are queued, not handled: on a loaded machine the last keys
   * reach the page a moment later (the field held "deskto" for "desktop…"), so the value is
   * polled until it matches; a field that still differs is cleared and typed again, twice
   * at most, before the test fails with what it holds.
   */
  async fill(element, text) {
    let value;
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.cmd('POST', `/element/${element}/clear`, {});
      await this.type(element, text);
      const start = Date.now();
      for (;;) {
        value = await this.cmd('GET', `/element/${element}/property/value`);
        if (value === text) return;
        if (Date.now() - start > 3000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`the field holds ${JSON.stringify(value)}, not what was typed`);
  }

  /** Waits until `element` has the keyboard focus (an autofocus has landed). */
  async focused(element, timeoutMs = 20000) {
    const start = Date.now();
    for (;;) {
      const yes = await this.cmd('POST', '/execute/sync', {
        script: 'return document.activeElement === arguments[0]',
        args: [{ [ELEMENT]: element }],
      });
      if (yes) return;
      if (Date.now() - start > timeoutMs) throw new Error('the field never got the focus');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async text(element) {
    return this.cmd('GET', `/element/${element}/text`);
  }

  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async quit() {
    await this.cmd('DELETE', '').catch(() => {});
  }
}
