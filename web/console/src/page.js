// What every page of the staff console (docs/console.md) shares: the pages
// and their paths (kPages, which the nav links), the formatting helpers and
// ConsolePage, the base of every page: the token prompt, the nav, the error
// line and calls to the API.
//
// Each page asks for an API token, keeps it in sessionStorage only (never in
// a URL, never in localStorage; the pages of one tab share it) and sends it
// as `Authorization: Bearer`. Every value from the server goes through Lit
// templates, which escape it; nothing is assigned to innerHTML. The pages
// fetch only from their own origin (the server's CSP says so too).
import { LitElement, css, html, nothing } from 'lit';

const kTokenKey = 'mamori.console.token';
export const kDayMs = 24 * 60 * 60 * 1000;
// The pages, in the nav's order; the shell mounts the one its path names.
export const kPages = {
  audit: { path: '/console/audit', label: 'Audit', element: 'mamori-audit' },
  incidents: { path: '/console/incidents', label: 'Incidents', element: 'mamori-incidents' },
  alerts: { path: '/console/alerts', label: 'Alerts', element: 'mamori-alerts' },
  requests: { path: '/console/requests', label: 'Requests', element: 'mamori-requests' },
  complaints: { path: '/console/complaints', label: 'Complaints', element: 'mamori-complaints' },
  lookup: { path: '/console/lookup', label: 'Customer lookup', element: 'mamori-lookup' },
};

// YYYY-MM-DD of a Date, in the browser's time zone.
export function isoDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function yesNo(value) {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  return '—';
}

// The day (YYYY-MM-DD) of an RFC 3339 time in the operator's zone; `back`
// milliseconds earlier first (a period's `to` is exclusive: its last day is
// the day of the instant before it).
export function dayIn(iso, zone, back = 0) {
  if (!iso) return '—';
  const t = new Date(Date.parse(iso) - back);
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone: zone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit',
    }).format(t);
  } catch {
    return iso;
  }
}

export function show(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(show).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// An RFC 3339 time as "YYYY-MM-DD HH:MM:SS" (as the server wrote it, no
// time-zone conversion); anything else as is.
export function time(value) {
  if (typeof value !== 'string') return show(value);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(value);
  return m ? `${m[1]} ${m[2]}` : value;
}

// Lit's `static properties` of a page: each name an internal reactive state.
export function states(...names) {
  return Object.fromEntries(names.map((name) => [name, { state: true }]));
}

export function list(value) {
  return Array.isArray(value) ? value : [];
}

// The error of an answer: the API's {"error":{"code","message"}}, or the
// HTTP status when the body is something else.
export function apiError(response, body) {
  const error = body && typeof body === 'object' ? body.error : undefined;
  if (error && typeof error === 'object') {
    return { code: show(error.code), message: show(error.message) };
  }
  return { code: `http_${response.status}`, message: response.statusText || 'request failed' };
}

export async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

// What every page shares: the token prompt, the nav, the error line, calls
// to the API and server-rendered HTML opened as a blob.
export class ConsolePage extends LitElement {
  // Set by each page: its key in kPages, its heading and the permission its
  // token needs.
  static page = '';
  static heading = '';
  static permission = '';

  static properties = states('token_', 'error_', 'authMessage_', 'loading_');

  static styles = css`
    :host { display: block; max-width: 1100px; margin: 0 auto; padding: 16px; }
    header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center;
             justify-content: space-between; margin-bottom: 16px; }
    h1 { font-size: 1.3rem; margin: 0; }
    h2 { font-size: 1.05rem; margin: 0 0 8px; }
    form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
    section { background: #fff; border: 1px solid #d8dde3; border-radius: 6px;
              padding: 12px 16px; margin-bottom: 12px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 12px;
            margin-bottom: 12px; }
    .grid section { margin-bottom: 0; }
    table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
    th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #eef0f3;
             vertical-align: top; }
    th { font-weight: 600; color: #4a5562; }
    td.num, th.num { text-align: right; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
    dt { color: #4a5562; }
    dd { margin: 0; overflow-wrap: anywhere; }
    .ok { color: #126b2f; font-weight: 600; }
    .bad { color: #a4161a; font-weight: 600; }
    .muted { color: #6b7683; }
    .error { background: #fdecea; border-color: #f5c2c0; color: #7a1315; }
    .totals { display: flex; gap: 24px; margin-bottom: 8px; }
    .totals b { font-size: 1.4rem; display: block; }
    svg text { font-size: 11px; fill: #4a5562; }
    .allowed { fill: #3b8f5a; }
    .denied { fill: #c8473d; }
    .bar { fill: #4a78b5; }
    button { cursor: pointer; }
    nav { display: flex; gap: 16px; align-items: center; margin-bottom: 8px; font-size: 0.95rem; }
    nav a { color: #2a5c9a; text-decoration: none; }
    nav a[aria-current='page'] { color: #1d232b; font-weight: 600; }
    nav button { margin-left: auto; }
    .notice { background: #e8f5ec; border-color: #b7dfc3; }
    textarea { width: 100%; box-sizing: border-box; font: inherit; }
    .fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
              gap: 8px 16px; margin-bottom: 8px; }
    .fields label { display: block; color: #4a5562; }
    tr.selected td { background: #eef4fb; }
    button.link { border: none; background: none; padding: 0; color: #2a5c9a;
                  text-decoration: underline; font: inherit; }
    tr.overdue td { background: #fdf1f0; }
    .overdue { color: #a4161a; font-weight: 600; }
    fieldset { border: 1px solid #d8dde3; border-radius: 4px; margin: 0 0 10px;
               padding: 8px 12px; }
    legend { color: #4a5562; font-weight: 600; }
    .doc dl { margin: 2px 0 6px 12px; }
    .doc table { margin: 2px 0 6px; }
    details summary { cursor: pointer; color: #2a5c9a; }
    pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; }
    .denial { background: #fff7e6; border-color: #f0d29c; }
    form .stack { flex-basis: 100%; }
    td code { overflow-wrap: anywhere; }
  `;
  constructor() {
    super();
    this.token_ = sessionStorage.getItem(kTokenKey) ?? '';
    this.error_ = null;
    this.authMessage_ = '';
    this.loading_ = false;
    this.sequence_ = 0;
  }

  connectedCallback() {
    super.connectedCallback();
    document.title = `mamori · ${this.constructor.heading}`;
    if (this.token_) this.load_();
  }

  // Reads what the page shows; each page overrides it.
  load_() {}

  // Forgets what the page shows (on sign-out); each page overrides it.
  clear_() {}

  fetch_(target, init = {}) {
    const headers = { Authorization: `Bearer ${this.token_}` };
    const options = {
      method: init.method ?? 'GET',
      headers,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    };
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(init.json);
    }
    return fetch(target, options);
  }

  // One API call: {status, body} with the parsed JSON body (an error's too:
  // a denial carries its decision), or undefined after a 401 (which signs
  // out with the API's message) or a network failure (shown).
  async answer_(method, target, json) {
    try {
      const response = await this.fetch_(target, { method, json });
      const body = await readJson(response);
      if (response.status === 401) {
        const e = apiError(response, body);
        this.signOut_(`${e.code}: ${e.message}`);
        return undefined;
      }
      return { response, status: response.status, ok: response.ok, body };
    } catch (e) {
      this.error_ = { code: 'network', message: String(e && e.message ? e.message : e) };
      return undefined;
    }
  }

  // One API call: its JSON body, or undefined after showing the error (a 401
  // signs out with the API's message).
  async call_(method, target, json) {
    const answer = await this.answer_(method, target, json);
    if (!answer) return undefined;
    if (!answer.ok || !answer.body || typeof answer.body !== 'object') {
      this.error_ = apiError(answer.response, answer.body);
      return undefined;
    }
    return answer.body;
  }

  // Drops the token and asks for it again, with a message.
  signOut_(message) {
    sessionStorage.removeItem(kTokenKey);
    this.token_ = '';
    this.error_ = null;
    this.authMessage_ = message;
    this.clear_();
  }

  onToken_(event) {
    event.preventDefault();
    const input = this.renderRoot.querySelector('#token');
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    sessionStorage.setItem(kTokenKey, token);
    this.token_ = token;
    this.authMessage_ = '';
    this.load_();
  }

  // Server-rendered HTML (the printable report, a report draft) is behind the
  // same bearer token, which a plain link cannot carry: fetch it and open it
  // as a blob.
  async openHtml_(target) {
    try {
      const response = await this.fetch_(target);
      if (response.status === 401) {
        const e = apiError(response, await readJson(response));
        this.signOut_(`${e.code}: ${e.message}`);
        return;
      }
      if (!response.ok) {
        this.error_ = apiError(response, await readJson(response));
        return;
      }
      const blob = new Blob([await response.text()], { type: 'text/html' });
      const url = URL.createObjectURL(blob);
      window.open(url, '_blank', 'noopener');
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      this.error_ = { code: 'network', message: String(e && e.message ? e.message : e) };
    }
  }

  render() {
    return html`
      ${this.renderNav_()}
      <header>
        <h1>mamori · ${this.constructor.heading}</h1>
        ${this.token_ ? this.renderControls_() : nothing}
      </header>
      ${this.token_ ? this.renderBody_() : this.renderLogin_()}
    `;
  }

  renderNav_() {
    const current = this.constructor.page;
    return html`
      <nav id="nav" aria-label="console pages">
        ${Object.entries(kPages).map(
          ([page, { path, label }]) => html`<a href=${path} id=${`nav-${page}`}
            aria-current=${page === current ? 'page' : 'false'}>${label}</a>`,
        )}
        ${this.token_
          ? html`<button id="sign-out" type="button" @click=${() => this.signOut_('')}>
              Sign out</button>`
          : nothing}
      </nav>
    `;
  }

  renderControls_() {
    return nothing;
  }

  renderBody_() {
    return nothing;
  }

  renderError_() {
    return this.error_
      ? html`<section id="error" class="error" role="alert">
          <b>${this.error_.code}</b>: ${this.error_.message}</section>`
      : nothing;
  }

  renderLogin_() {
    return html`
      <section id="login">
        <h2>API token</h2>
        ${this.authMessage_
          ? html`<p id="auth-message" class="bad" role="alert">${this.authMessage_}</p>`
          : nothing}
        <form @submit=${this.onToken_} autocomplete="off">
          <label for="token">${this.constructor.permission
            ? html`Token of an actor with the <code>${this.constructor.permission}</code>
                permission`
            : 'Token of a staff actor (its role decides what it may use)'}</label>
          <input id="token" name="token" type="password" autocomplete="off" required
                 spellcheck="false" size="48">
          <button id="sign-in" type="submit">Open ${this.constructor.heading}</button>
        </form>
        <p class="muted">The token stays in this browser tab (session storage) and is sent only
          to this server, in the Authorization header.</p>
      </section>
    `;
  }
}
