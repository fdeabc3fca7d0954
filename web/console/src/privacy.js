// The customer privacy center at /privacy (docs/privacy-center.md): what the
// operator announces about personal data, requests about it (APPI Art.
// 32-35) and complaints (Art. 40), in Japanese and English.
//
// The page calls /v1/public/... only, with no token:
//   GET  /v1/public/privacy-center?lang=     the operator, services, kinds of
//                                            request, verification factors
//   GET  /v1/public/notice/{service}?lang=   a service's notice
//   POST /v1/public/requests                 a request -> id, secret, due
//   GET  /v1/public/requests/{id}            its status     } X-Request-Secret
//   GET  /v1/public/requests/{id}/result     its result     } header, never
//   POST /v1/public/requests/{id}/withdraw   withdraw it    } in a URL
//   POST /v1/public/complaints               a complaint -> id, first due
//
// No personal data goes into a URL or into storage: forms are handled in
// script (the CSP forbids form posts anyway) and sent as JSON bodies; the
// request secret stays in memory and travels only in its header. Only the
// language choice is kept, in sessionStorage. Every value from the server
// goes through Lit templates, which escape it; nothing is assigned to
// innerHTML.
import { LitElement, css, html, nothing } from 'lit';
import {
  kComplaintCategories,
  kIdentifiers,
  kLanguages,
  kRequestKinds,
  texts,
} from './privacy-i18n.js';

const kLangKey = 'mamori.privacy.lang';
const kViews = ['about', 'request', 'status', 'complaint'];
// Statuses in which a request can still be withdrawn (docs/requests.md).
const kOpenStatuses = new Set(['received', 'verifying', 'in_progress']);
// Kind-specific fields, and the kinds that take each (docs/requests.md,
// "The API"): a field that does not apply to the kind is not sent.
const kTakesCategory = new Set(['correction', 'addition', 'deletion', 'stop_use']);
const kTakesValue = new Set(['correction', 'addition']);

function list(value) {
  return Array.isArray(value) ? value : [];
}

function show(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.map(show).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function locale(lang) {
  return lang === 'en' ? 'en-GB' : 'ja-JP';
}

// An RFC 3339 time as a date and time in `zone` (the browser's when unset).
function dateTime(iso, lang, zone) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return show(iso);
  try {
    return new Intl.DateTimeFormat(locale(lang), {
      timeZone: zone, dateStyle: 'long', timeStyle: 'short',
    }).format(new Date(t));
  } catch {
    return iso;
  }
}

// A due time is the end of its last day (00:00 of the day after,
// docs/requests.md "Due times"): the day of the instant just before it.
function dueDay(iso, lang, zone) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return show(iso);
  try {
    return new Intl.DateTimeFormat(locale(lang), { timeZone: zone, dateStyle: 'long' })
      .format(new Date(t - 1));
  } catch {
    return iso;
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

// The file name of a Content-Disposition header, or `fallback`.
function fileName(disposition, fallback) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  if (!m) return fallback;
  try {
    return decodeURIComponent(m[1]).replace(/[\\/]/g, '_');
  } catch {
    return fallback;
  }
}

function storedLanguage() {
  try {
    const lang = sessionStorage.getItem(kLangKey);
    return kLanguages.includes(lang) ? lang : 'ja';
  } catch {
    return 'ja';
  }
}

function viewOfHash() {
  const view = location.hash.replace(/^#/, '');
  return kViews.includes(view) ? view : 'about';
}

export class MamoriPrivacy extends LitElement {
  static properties = {
    lang_: { state: true },
    view_: { state: true },
    center_: { state: true },
    notices_: { state: true },
    openNotice_: { state: true },
    error_: { state: true },
    info_: { state: true },
    busy_: { state: true },
    kind_: { state: true },
    agent_: { state: true },
    receipt_: { state: true },
    request_: { state: true },
    askWithdraw_: { state: true },
    complaintReceipt_: { state: true },
  };

  static styles = css`
    :host { display: block; max-width: 980px; margin: 0 auto; padding: 16px;
            line-height: 1.6; }
    header { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start;
             justify-content: space-between; }
    h1 { font-size: 1.5rem; margin: 0; }
    h2 { font-size: 1.2rem; margin: 0 0 8px; }
    h3 { font-size: 1.02rem; margin: 16px 0 6px; }
    h4 { font-size: 0.95rem; margin: 10px 0 4px; }
    p { margin: 4px 0 8px; }
    nav ul { display: flex; flex-wrap: wrap; gap: 4px 20px; list-style: none; padding: 0;
             margin: 12px 0 16px; border-bottom: 1px solid #d8dde3; }
    nav a { display: inline-block; padding: 6px 2px; color: #2a5c9a; text-decoration: none; }
    nav a[aria-current='page'] { color: #1d232b; font-weight: 600;
                                 border-bottom: 3px solid #2a5c9a; }
    a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
    textarea:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
    section { background: #fff; border: 1px solid #d8dde3; border-radius: 6px;
              padding: 12px 16px; margin-bottom: 12px; }
    section section { border-color: #eef0f3; }
    table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
    th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #eef0f3;
             vertical-align: top; }
    th { font-weight: 600; color: #4a5562; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
    dt { color: #4a5562; }
    dd { margin: 0; overflow-wrap: anywhere; }
    ul.plain { margin: 4px 0; padding-left: 20px; }
    fieldset { border: 1px solid #d8dde3; border-radius: 6px; margin: 0 0 12px;
               padding: 8px 12px 12px; }
    legend { font-weight: 600; padding: 0 4px; }
    .field { margin: 0 0 10px; }
    .field label { display: block; font-weight: 500; }
    .field input:not([type='checkbox']), .field select, .field textarea {
      width: 100%; max-width: 480px; box-sizing: border-box; font: inherit; padding: 4px 6px; }
    .field textarea { max-width: none; }
    .check label { display: inline; font-weight: 500; }
    .tag { font-size: 0.8rem; font-weight: 600; border-radius: 3px; padding: 0 4px;
           margin-left: 6px; }
    .tag.required { background: #fdecea; color: #7a1315; }
    .tag.optional { background: #eef0f3; color: #4a5562; }
    .hint { color: #4a5562; font-size: 0.9rem; margin: 2px 0 0; }
    .muted { color: #6b7683; }
    .error { background: #fdecea; border: 1px solid #f5c2c0; color: #7a1315;
             border-radius: 6px; padding: 8px 12px; margin: 0 0 12px; }
    .info { background: #e8f5ec; border: 1px solid #b7dfc3; border-radius: 6px;
            padding: 8px 12px; margin: 0 0 12px; }
    .receipt { background: #e8f5ec; border-color: #b7dfc3; }
    .secret { font-size: 1.15rem; background: #fff; border: 1px dashed #126b2f;
              padding: 2px 8px; user-select: all; overflow-wrap: anywhere; }
    .keep { font-weight: 600; color: #7a1315; }
    .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
    button { cursor: pointer; font: inherit; padding: 4px 12px; }
    button.lang { white-space: nowrap; }
    .services { display: flex; flex-wrap: wrap; gap: 8px; }
    .completed { color: #126b2f; font-weight: 600; }
    .refused { color: #a4161a; font-weight: 600; }
  `;

  constructor() {
    super();
    this.lang_ = storedLanguage();
    this.view_ = viewOfHash();
    this.center_ = null;
    this.notices_ = {};
    this.openNotice_ = '';
    this.error_ = null;
    this.info_ = '';
    this.busy_ = false;
    this.kind_ = 'disclosure';
    this.agent_ = false;
    this.receipt_ = null;
    this.request_ = null;
    this.askWithdraw_ = false;
    this.complaintReceipt_ = null;
    // The request being followed: its id and secret, in memory only.
    this.creds_ = null;
    this.sequence_ = 0;
    this.focus_ = '';
    this.onHash_ = () => this.show_(viewOfHash());
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash_);
    this.applyLanguage_();
    this.loadCenter_();
    if (this.view_ === 'request') this.loadNotices_();
  }

  disconnectedCallback() {
    window.removeEventListener('hashchange', this.onHash_);
    super.disconnectedCallback();
  }

  updated() {
    // After a receipt or a status appears, move the focus to its heading so
    // that keyboard and screen-reader users land on it.
    if (this.focus_) {
      const target = this.renderRoot.querySelector(this.focus_);
      this.focus_ = '';
      if (target) target.focus();
    }
  }

  get t_() {
    return texts(this.lang_);
  }

  // The operator's time zone, when the server names it; the browser's
  // otherwise.
  get zone_() {
    const c = this.center_ ?? {};
    return c.time_zone ?? (c.operator ?? {}).time_zone ?? undefined;
  }

  applyLanguage_() {
    document.documentElement.lang = this.lang_;
    document.title = `${this.t_.title} · ${(this.center_?.operator ?? {}).name ?? 'mamori'}`;
  }

  onLanguage_() {
    this.lang_ = this.lang_ === 'ja' ? 'en' : 'ja';
    try {
      sessionStorage.setItem(kLangKey, this.lang_);
    } catch {
      // No storage (a private mode): the choice lasts until the page closes.
    }
    this.applyLanguage_();
    this.notices_ = {};
    this.loadCenter_();
    if (this.openNotice_) this.loadNotice_(this.openNotice_);
    if (this.view_ === 'request') this.loadNotices_();
  }

  show_(view) {
    if (view === this.view_) return;
    this.view_ = view;
    this.error_ = null;
    this.info_ = '';
    if (view === 'request') this.loadNotices_();
  }

  // --- calls to the API ---------------------------------------------------------

  // One call: {response, body}, or throws on a network failure.
  async fetch_(target, { method = 'GET', json, secret } = {}) {
    const headers = { Accept: 'application/json' };
    if (secret !== undefined) headers['X-Request-Secret'] = secret;
    const options = {
      method,
      headers,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    };
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(json);
    }
    return fetch(target, options);
  }

  // The error to show for an answer: the API's message, with what to do
  // about a 429 (Retry-After) or a 404 of a request.
  errorOf_(response, body, { request = false } = {}) {
    const t = this.t_;
    const e = body && typeof body === 'object' && body.error && typeof body.error === 'object'
      ? body.error : {};
    const code = e.code ? String(e.code) : `http_${response.status}`;
    const message = e.message ? String(e.message) : response.statusText || '';
    let text = '';
    if (response.status === 429) {
      const seconds = Number(response.headers.get('Retry-After'));
      if (Number.isFinite(seconds) && seconds > 0) {
        const when = new Intl.DateTimeFormat(locale(this.lang_), { timeStyle: 'short' })
          .format(new Date(Date.now() + seconds * 1000));
        text = t.rateLimited(when, Math.max(1, Math.ceil(seconds / 60)));
      } else {
        text = t.rateLimitedLater;
      }
    } else if (response.status === 404 && request) {
      text = t.notFound;
    }
    return { code, message, text };
  }

  networkError_(e) {
    return { code: 'network', message: String(e && e.message ? e.message : e), text: this.t_.network };
  }

  async loadCenter_() {
    const sequence = ++this.sequence_;
    try {
      const response = await this.fetch_(
        `/v1/public/privacy-center?lang=${encodeURIComponent(this.lang_)}`);
      const body = await readJson(response);
      if (sequence !== this.sequence_) return;
      if (!response.ok || !body || typeof body !== 'object') {
        this.error_ = this.errorOf_(response, body);
        return;
      }
      this.center_ = body;
      this.applyLanguage_();
      if (this.view_ === 'request') this.loadNotices_();
    } catch (e) {
      if (sequence === this.sequence_) this.error_ = this.networkError_(e);
    }
  }

  // The notice of one service in the current language (kept per language).
  async loadNotice_(service) {
    const lang = this.lang_;
    const key = `${lang}:${service}`;
    if (this.notices_[key]) return this.notices_[key];
    try {
      const response = await this.fetch_(
        `/v1/public/notice/${encodeURIComponent(service)}?lang=${encodeURIComponent(lang)}`);
      const body = await readJson(response);
      if (!response.ok || !body || typeof body !== 'object') {
        this.error_ = this.errorOf_(response, body);
        return undefined;
      }
      if (lang === this.lang_) this.notices_ = { ...this.notices_, [key]: body };
      return body;
    } catch (e) {
      this.error_ = this.networkError_(e);
      return undefined;
    }
  }

  // Every service's notice: the request form offers their categories and
  // purposes.
  loadNotices_() {
    for (const s of list(this.center_?.services)) {
      if (s && s.id) this.loadNotice_(String(s.id));
    }
  }

  noticesNow_() {
    const prefix = `${this.lang_}:`;
    return Object.entries(this.notices_)
      .filter(([key]) => key.startsWith(prefix))
      .map(([, notice]) => notice);
  }

  // {id, name} of every category (or purpose) the services' notices name.
  union_(field) {
    const seen = new Map();
    for (const notice of this.noticesNow_()) {
      for (const item of list(notice[field])) {
        if (item && item.id && !seen.has(item.id)) seen.set(item.id, item.name ?? item.id);
      }
    }
    return [...seen].map(([id, name]) => ({ id, name }));
  }

  // The kinds of request as the server lists them (article, days, name),
  // the page's own names and articles where it gives none.
  requestKinds_() {
    const fromServer = list(this.center_?.request_kinds).filter((k) => k && k.kind);
    const local = (kind) => kRequestKinds.find((k) => k.kind === kind);
    if (!fromServer.length) {
      return kRequestKinds.map((k) => ({ kind: k.kind, article: k.article, name: k[this.lang_] }));
    }
    return fromServer.map((k) => ({
      ...k,
      name: k.name || local(k.kind)?.[this.lang_] || k.kind,
      article: k.article || local(k.kind)?.article,
    }));
  }

  kindName_(kind) {
    const k = this.requestKinds_().find((r) => r.kind === kind);
    return k ? show(k.name) : kind;
  }

  requiredFactors_() {
    return list(this.center_?.verification).map(String);
  }

  // --- the notice ---------------------------------------------------------------

  async onShowNotice_(service) {
    if (this.openNotice_ === service) {
      this.openNotice_ = '';
      return;
    }
    this.openNotice_ = service;
    if (await this.loadNotice_(service)) this.focus_ = '#notice-heading';
  }

  // --- a request ----------------------------------------------------------------

  field_(selector) {
    const el = this.renderRoot.querySelector(selector);
    if (!el) return '';
    if (el.type === 'checkbox') return el.checked;
    return String(el.value ?? '').trim();
  }

  onKind_(event) {
    this.kind_ = event.target.value;
  }

  onAgent_(event) {
    this.agent_ = event.target.checked;
  }

  // The body of POST /v1/public/requests from the form, or undefined after
  // showing what is missing.
  requestBody_() {
    const t = this.t_;
    const kind = this.field_('#req-kind');
    const identifiers = {};
    for (const id of kIdentifiers) {
      const value = this.field_(`#id-${id}`);
      if (value) identifiers[id] = value;
    }
    const missing = this.requiredFactors_().filter((f) => !identifiers[f]);
    if (missing.length) {
      this.error_ = { text: t.needFactor(missing.map((f) => t[f] ?? f).join('、')) };
      return undefined;
    }
    if (!Object.keys(identifiers).length) {
      this.error_ = { text: t.needIdentifier };
      return undefined;
    }
    const body = { kind, identifiers, language: this.lang_ };
    const details = this.field_('#req-details');
    if (details) body.details = details;
    if (this.agent_) {
      const agent = {
        kind: this.field_('#agent-kind'),
        name: this.field_('#agent-name'),
        contact: this.field_('#agent-contact'),
      };
      if (!agent.kind || !agent.name || !agent.contact) {
        this.error_ = { text: t.needAgent };
        return undefined;
      }
      body.agent = agent;
    }
    if (kTakesCategory.has(kind)) {
      const category = this.field_('#req-category');
      if (category) body.category = category;
    }
    if (kTakesValue.has(kind)) {
      const value = this.field_('#req-value');
      if (!value || !body.category) {
        this.error_ = { text: t.needValue };
        return undefined;
      }
      body.value = value;
    }
    if (kind === 'stop_use') {
      const purpose = this.field_('#req-purpose');
      if (purpose) body.purpose = purpose;
      if (this.field_('#req-erase') === true) body.erase = true;
    }
    if (kind === 'stop_provision') {
      const recipient = this.field_('#req-recipient');
      if (recipient) body.recipient = recipient;
    }
    return body;
  }

  async onRequest_(event) {
    event.preventDefault();
    if (this.busy_) return;
    // The form, before any await: a shadow-tree event loses its target once
    // dispatched.
    const form = event.currentTarget;
    this.error_ = null;
    const body = this.requestBody_();
    if (!body) return;
    this.busy_ = true;
    try {
      const response = await this.fetch_('/v1/public/requests', { method: 'POST', json: body });
      const answer = await readJson(response);
      if (response.status !== 201 || !answer || typeof answer !== 'object') {
        this.error_ = this.errorOf_(response, answer);
        return;
      }
      this.receipt_ = { ...answer, kind: body.kind };
      // The personal data typed in leaves the page once it is sent.
      form.reset();
      this.agent_ = false;
      this.focus_ = '#receipt-heading';
    } catch (e) {
      this.error_ = this.networkError_(e);
    } finally {
      this.busy_ = false;
    }
  }

  // From the receipt to the status, with the id and secret just received.
  onFollow_() {
    if (!this.receipt_) return;
    this.creds_ = { id: String(this.receipt_.request), secret: String(this.receipt_.secret) };
    location.hash = '#status';
    this.show_('status');
    this.loadStatus_();
  }

  // --- a request's status -------------------------------------------------------

  requestPath_(suffix = '') {
    return `/v1/public/requests/${encodeURIComponent(this.creds_.id)}${suffix}`;
  }

  onStatus_(event) {
    event.preventDefault();
    const id = this.field_('#status-id');
    const secret = this.renderRoot.querySelector('#status-secret').value;
    if (!id || !secret) {
      this.error_ = { text: this.t_.needStatus };
      return;
    }
    this.creds_ = { id, secret };
    this.loadStatus_();
  }

  async loadStatus_() {
    if (!this.creds_) return;
    this.busy_ = true;
    this.error_ = null;
    this.info_ = '';
    this.askWithdraw_ = false;
    try {
      const response = await this.fetch_(this.requestPath_(), { secret: this.creds_.secret });
      const body = await readJson(response);
      if (!response.ok || !body || typeof body !== 'object') {
        this.request_ = null;
        this.error_ = this.errorOf_(response, body, { request: true });
        return;
      }
      this.request_ = body;
      this.focus_ = '#request-heading';
    } catch (e) {
      this.error_ = this.networkError_(e);
    } finally {
      this.busy_ = false;
    }
  }

  onDone_() {
    this.creds_ = null;
    this.request_ = null;
    this.askWithdraw_ = false;
    this.error_ = null;
    this.info_ = '';
    const form = this.renderRoot.querySelector('#status-form');
    if (form) form.reset();
  }

  // The result document, fetched with the secret header and saved from a
  // blob: URL (a link could not carry the header).
  async onDownload_(format) {
    if (!this.creds_) return;
    this.error_ = null;
    this.info_ = '';
    try {
      const response = await this.fetch_(
        this.requestPath_(`/result?format=${format}`), { secret: this.creds_.secret });
      if (!response.ok) {
        this.error_ = this.errorOf_(response, await readJson(response), { request: true });
        return;
      }
      const type = format === 'html' ? 'text/html' : 'application/json';
      const blob = new Blob([await response.arrayBuffer()], { type });
      const name = fileName(response.headers.get('Content-Disposition'),
        `${this.creds_.id}.${format}`);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.rel = 'noopener';
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.info_ = this.t_.downloaded(name);
    } catch (e) {
      this.error_ = this.networkError_(e);
    }
  }

  async onWithdraw_() {
    if (!this.creds_) return;
    this.error_ = null;
    try {
      const response = await this.fetch_(this.requestPath_('/withdraw'), {
        method: 'POST', json: {}, secret: this.creds_.secret,
      });
      const body = await readJson(response);
      this.askWithdraw_ = false;
      if (!response.ok || !body || typeof body !== 'object') {
        this.error_ = this.errorOf_(response, body, { request: true });
        return;
      }
      this.request_ = body;
      this.info_ = this.t_.withdrawn;
    } catch (e) {
      this.error_ = this.networkError_(e);
    }
  }

  // --- a complaint --------------------------------------------------------------

  complaintCategories_() {
    const fromServer = list(this.center_?.complaint_categories);
    if (fromServer.length) return fromServer;
    return kComplaintCategories.map((c) => ({ id: c.id, name: c[this.lang_] }));
  }

  async onComplaint_(event) {
    event.preventDefault();
    if (this.busy_) return;
    const form = event.currentTarget;
    this.error_ = null;
    const body = {
      category: this.field_('#cmp-category'),
      text: this.field_('#cmp-text'),
      contact: this.field_('#cmp-contact'),
      language: this.lang_,
    };
    const service = this.field_('#cmp-service');
    if (service) body.service = service;
    if (!body.category || !body.text || !body.contact) {
      this.error_ = { text: this.t_.needComplaint };
      return;
    }
    this.busy_ = true;
    try {
      const response = await this.fetch_('/v1/public/complaints', { method: 'POST', json: body });
      const answer = await readJson(response);
      if (response.status !== 201 || !answer || typeof answer !== 'object') {
        this.error_ = this.errorOf_(response, answer);
        return;
      }
      this.complaintReceipt_ = answer;
      form.reset();
      this.focus_ = '#complaint-heading';
    } catch (e) {
      this.error_ = this.networkError_(e);
    } finally {
      this.busy_ = false;
    }
  }

  // --- rendering ----------------------------------------------------------------

  render() {
    const t = this.t_;
    const tabs = [
      ['about', t.tabAbout],
      ['request', t.tabRequest],
      ['status', t.tabStatus],
      ['complaint', t.tabComplaint],
    ];
    return html`
      <header>
        <div>
          <h1 id="title">${t.title}</h1>
          <p class="muted">${t.tagline}</p>
        </div>
        <button id="lang-toggle" class="lang" type="button" lang=${this.lang_ === 'ja' ? 'en' : 'ja'}
                aria-label=${t.switchLabel} @click=${this.onLanguage_}>${t.switchTo}</button>
      </header>
      <nav aria-label=${t.tabsLabel}>
        <ul>
          ${tabs.map(([view, label]) => html`<li><a id=${`tab-${view}`} href=${`#${view}`}
            aria-current=${view === this.view_ ? 'page' : 'false'}>${label}</a></li>`)}
        </ul>
      </nav>
      <main>
        <div role="alert" id="alert-region">${this.renderError_()}</div>
        <div role="status" id="status-region">
          ${this.info_ ? html`<p id="info" class="info">${this.info_}</p>` : nothing}</div>
        ${this.renderView_()}
      </main>
    `;
  }

  renderView_() {
    switch (this.view_) {
      case 'request':
        return this.renderRequest_();
      case 'status':
        return this.renderStatus_();
      case 'complaint':
        return this.renderComplaint_();
      default:
        return this.renderAbout_();
    }
  }

  renderError_() {
    const e = this.error_;
    if (!e) return nothing;
    const api = e.code ? `${e.message || ''} (${e.code})` : '';
    return html`<div id="error" class="error">
      <b>${this.t_.error}</b>: ${e.text ? html`<span id="error-text">${e.text}</span> ` : nothing}
      ${api ? html`<span id="error-api">${api}</span>` : nothing}</div>`;
  }

  renderAbout_() {
    const t = this.t_;
    const c = this.center_;
    if (!c) return html`<p class="muted" id="loading">${t.loading}</p>`;
    const op = c.operator ?? {};
    const factors = this.requiredFactors_();
    return html`
      <section id="operator" aria-labelledby="operator-heading">
        <h2 id="operator-heading">${t.operator}</h2>
        <dl>
          <dt>${t.operatorName}</dt><dd id="operator-name">${show(op.name)}</dd>
          <dt>${t.address}</dt><dd>${show(op.address)}</dd>
          <dt>${t.representative}</dt><dd>${show(op.representative)}</dd>
          <dt>${t.privacyContact}</dt><dd>${show(op.privacy_contact)}</dd>
          <dt>${t.complaintDesk}</dt><dd>${show(op.complaint_desk)}</dd>
        </dl>
      </section>
      <section id="services" aria-labelledby="services-heading">
        <h2 id="services-heading">${t.services}</h2>
        <div class="services">
          ${list(c.services).map((s) => html`<button type="button" class="service"
              data-service=${show(s.id)} aria-expanded=${this.openNotice_ === s.id ? 'true' : 'false'}
              aria-controls="notice" @click=${() => this.onShowNotice_(String(s.id))}>
              ${show(s.name)}</button>`)}
        </div>
        ${this.openNotice_ ? this.renderNotice_(this.openNotice_) : nothing}
      </section>
      <section id="request-kinds" aria-labelledby="kinds-heading">
        <h2 id="kinds-heading">${t.requestKinds}</h2>
        <table>
          <thead><tr><th scope="col">${t.kind}</th><th scope="col">${t.article}</th>
            <th scope="col">${t.days}</th></tr></thead>
          <tbody>
            ${this.requestKinds_().map((k) => html`<tr data-kind=${show(k.kind)}>
              <td>${show(k.name)}</td><td>${show(k.article)}</td>
              <td>${k.days === undefined || k.days === null ? '—' : t.daysValue(k.days)}</td></tr>`)}
          </tbody>
        </table>
        <h3>${t.verificationFactors}</h3>
        ${factors.length
          ? html`<p>${t.verificationNote}</p>
              <ul class="plain" id="verification">${factors.map((f) => html`<li>${t[f] ?? f}</li>`)}</ul>`
          : html`<p id="verification">${t.verificationAny}</p>`}
        <h3>${t.fee}</h3>
        <p id="fee">${show(c.fee)}</p>
        <p><a href="#request">${t.tabRequest}</a> · <a href="#status">${t.tabStatus}</a></p>
      </section>
      <section id="complaint-categories" aria-labelledby="categories-heading">
        <h2 id="categories-heading">${t.complaintCategories}</h2>
        <ul class="plain">${this.complaintCategories_().map((k) => html`<li>${show(k.name)}</li>`)}</ul>
        <p>${t.complaintDesk}: ${show(op.complaint_desk)}</p>
        <p><a href="#complaint">${t.tabComplaint}</a></p>
      </section>
      <section id="security-measures" aria-labelledby="security-heading">
        <h2 id="security-heading">${t.securityMeasures}</h2>
        <ul class="plain">${list(c.security_measures).map((m) => html`<li>${show(m)}</li>`)}</ul>
      </section>
    `;
  }

  renderNotice_(service) {
    const t = this.t_;
    const n = this.notices_[`${this.lang_}:${service}`];
    if (!n) return html`<p class="muted">${t.loading}</p>`;
    const joint = n.joint_use ?? {};
    const trustees = n.trustees ?? {};
    const third = n.third_parties ?? {};
    const requests = n.requests ?? {};
    const names = (items) => list(items).map((i) => show(i.name)).join(', ') || '—';
    return html`
      <section id="notice" data-service=${service} aria-labelledby="notice-heading">
        <h3 id="notice-heading" tabindex="-1">${show(n.title)}</h3>
        <p><a id="notice-printable" href=${`/privacy/notice/${encodeURIComponent(service)}?lang=${this.lang_}`}
              target="_blank" rel="noopener">${t.printable}</a></p>
        <h4>${t.purposes}</h4>
        <table id="notice-purposes">
          <thead><tr><th scope="col">${t.purpose}</th><th scope="col">${t.announcement}</th>
            <th scope="col">${t.categoriesUsed}</th><th scope="col">${t.retention}</th></tr></thead>
          <tbody>
            ${list(n.purposes).map((p) => html`<tr data-purpose=${show(p.id)}>
              <td>${show(p.name)}${p.requires_consent
                ? html`<br><span class="muted">(${t.requiresConsent})</span>` : nothing}</td>
              <td>${show(p.announcement)}</td>
              <td>${names(p.categories)}</td>
              <td>${p.retention ? show(p.retention.text) : '—'}</td></tr>`)}
          </tbody>
        </table>
        <p>${show(n.retention_text)}</p>
        <h4>${t.categories}</h4>
        <ul class="plain" id="notice-categories">
          ${list(n.categories).map((cat) => html`<li>${show(cat.name)}${cat.note
            ? html` <span class="muted">— ${cat.note}</span>` : nothing}</li>`)}
        </ul>
        ${list(joint.list).length ? html`
          <h4>${t.jointUse}</h4>
          <p>${show(joint.text)}</p>
          ${list(joint.list).map((j) => html`<dl class="joint-use">
            <dt>${t.jointItems}</dt><dd>${names(j.items)}</dd>
            <dt>${t.jointUsers}</dt><dd>${names(j.users)}</dd>
            <dt>${t.jointPurposes}</dt><dd>${list(j.purposes).map((p) => html`${show(p.name)}:
              ${show(p.announcement)}<br>`)}</dd>
            <dt>${t.jointResponsible}</dt><dd>${show((j.responsible ?? {}).name)},
              ${show((j.responsible ?? {}).address)}, ${show((j.responsible ?? {}).representative)}</dd>
          </dl>`)}` : nothing}
        ${trustees.text ? html`
          <h4>${t.trustees}</h4>
          <p>${show(trustees.text)}</p>
          ${list(trustees.foreign).map((f) => html`<p>${show(f.country_name)}: ${show(f.text)}</p>`)}`
          : nothing}
        <h4>${t.thirdParties}</h4>
        <p>${show(third.text)}</p>
        ${list(third.list).length ? html`<table>
          <thead><tr><th scope="col">${t.operatorName}</th><th scope="col">${t.country}</th>
            <th scope="col">${t.jointPurposes}</th><th scope="col">${t.categoriesUsed}</th></tr></thead>
          <tbody>${list(third.list).map((r) => html`<tr><td>${show(r.name)}</td>
            <td>${show(r.country_name)}</td><td>${names(r.purposes)}</td>
            <td>${names(r.categories)}${r.foreign_text ? html`<br>${r.foreign_text}` : nothing}</td>
            </tr>`)}</tbody></table>` : nothing}
        <h4>${t.requests}</h4>
        <p>${show(requests.text)}</p>
        <ul class="plain">${list(requests.kinds).map((k) => html`<li>${show(k)}</li>`)}</ul>
        <dl>
          <dt>${t.contact}</dt><dd>${show(requests.contact)}</dd>
          <dt>${t.fee}</dt><dd>${show(requests.fee)}</dd>
          <dt>${t.complaintDesk}</dt><dd>${show(n.complaint_desk)}</dd>
        </dl>
        <h4>${t.securityMeasures}</h4>
        <ul class="plain">${list(n.security_measures).map((m) => html`<li>${show(m)}</li>`)}</ul>
        <p class="muted">${show(n.based_on)}</p>
      </section>
    `;
  }

  // A labelled form field; `required` marks it (and requires it).
  renderInput_(id, label, { type = 'text', required = false, autocomplete = 'off', hint = '' } = {}) {
    const t = this.t_;
    return html`<div class="field">
      <label for=${id}>${label}<span class=${`tag ${required ? 'required' : 'optional'}`}>
        ${required ? t.required : t.optional}</span></label>
      <input id=${id} name=${id} type=${type} autocomplete=${autocomplete} ?required=${required}
             aria-required=${required ? 'true' : 'false'} spellcheck="false"
             aria-describedby=${hint ? `${id}-hint` : nothing}>
      ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : nothing}
    </div>`;
  }

  renderRequest_() {
    const t = this.t_;
    const factors = new Set(this.requiredFactors_());
    const kind = this.kind_;
    const autocomplete = { phone: 'tel', email: 'email', name: 'name', birth_date: 'bday' };
    const types = { phone: 'tel', email: 'email', birth_date: 'date' };
    return html`
      ${this.receipt_ ? this.renderReceipt_() : nothing}
      <section id="request" aria-labelledby="request-heading">
        <h2 id="request-heading">${t.requestHeading}</h2>
        <p>${t.requestIntro}</p>
        <form id="request-form" @submit=${this.onRequest_} novalidate>
          <div class="field">
            <label for="req-kind">${t.requestKind}<span class="tag required">${t.required}</span></label>
            <select id="req-kind" name="kind" required aria-required="true" @change=${this.onKind_}
                    aria-describedby=${kind === 'deletion' ? 'req-kind-hint' : nothing}>
              ${this.requestKinds_().map((k) => html`<option value=${show(k.kind)}
                ?selected=${k.kind === kind}>${show(k.name)} (${show(k.article)})</option>`)}
            </select>
            ${kind === 'deletion' ? html`<p class="hint" id="req-kind-hint">${t.deletionHint}</p>` : nothing}
          </div>
          <fieldset id="identifiers">
            <legend>${t.identifiers}</legend>
            <p class="hint">${factors.size ? t.verificationNote : t.verificationAny}</p>
            ${kIdentifiers.map((id) => this.renderInput_(`id-${id}`, t[id], {
              type: types[id] ?? 'text', required: factors.has(id),
              autocomplete: autocomplete[id] ?? 'off' }))}
          </fieldset>
          ${this.renderKindFields_(kind)}
          <div class="field">
            <label for="req-details">${t.details}<span class="tag optional">${t.optional}</span></label>
            <textarea id="req-details" name="details" rows="4"
                      aria-describedby="req-details-hint"></textarea>
            <p class="hint" id="req-details-hint">${t.detailsHint}</p>
          </div>
          <div class="field check">
            <input id="agent-toggle" type="checkbox" .checked=${this.agent_} @change=${this.onAgent_}
                   aria-controls="agent">
            <label for="agent-toggle">${t.agentToggle}</label>
          </div>
          ${this.agent_ ? html`<fieldset id="agent">
            <legend>${t.agent}</legend>
            <p class="hint">${t.agentNote}</p>
            <div class="field">
              <label for="agent-kind">${t.agentKind}<span class="tag required">${t.required}</span></label>
              <select id="agent-kind" required aria-required="true">
                <option value="legal_representative">${t.legal_representative}</option>
                <option value="authorized_proxy">${t.authorized_proxy}</option>
              </select>
            </div>
            ${this.renderInput_('agent-name', t.agentName, { required: true, autocomplete: 'name' })}
            ${this.renderInput_('agent-contact', t.agentContact, { required: true })}
          </fieldset>` : nothing}
          <div class="actions">
            <button id="req-submit" type="submit" ?disabled=${this.busy_}>
              ${this.busy_ ? t.sending : t.submitRequest}</button>
          </div>
        </form>
      </section>
    `;
  }

  // The fields only some kinds take.
  renderKindFields_(kind) {
    const t = this.t_;
    const parts = [];
    if (kTakesCategory.has(kind)) {
      // A correction or an addition changes one category's value: it names
      // the category; the other kinds may concern all of the data.
      const needed = kTakesValue.has(kind);
      parts.push(html`<div class="field">
        <label for="req-category">${t.category}<span class=${`tag ${needed ? 'required' : 'optional'}`}>
          ${needed ? t.required : t.optional}</span></label>
        <select id="req-category" name="category" ?required=${needed}
                aria-required=${needed ? 'true' : 'false'}>
          ${needed ? nothing : html`<option value="">${t.categoryAll}</option>`}
          ${this.union_('categories').map((c) => html`<option value=${c.id}>${show(c.name)}</option>`)}
        </select></div>`);
    }
    if (kTakesValue.has(kind)) {
      parts.push(html`<div class="field">
        <label for="req-value">${t.value}<span class="tag required">${t.required}</span></label>
        <input id="req-value" name="value" required aria-required="true" autocomplete="off">
      </div>`);
    }
    if (kind === 'stop_use') {
      parts.push(html`<div class="field">
        <label for="req-purpose">${t.stopPurpose}<span class="tag optional">${t.optional}</span></label>
        <select id="req-purpose" name="purpose">
          <option value="">${t.purposeAll}</option>
          ${this.union_('purposes').map((p) => html`<option value=${p.id}>${show(p.name)}</option>`)}
        </select></div>
        <div class="field check">
          <input id="req-erase" name="erase" type="checkbox">
          <label for="req-erase">${t.erase}</label>
        </div>`);
    }
    if (kind === 'stop_provision') {
      // The recipients by id, when the server lists them; a name typed in
      // otherwise.
      const recipients = list(this.center_?.recipients).filter((r) => r && r.id);
      parts.push(recipients.length
        ? html`<div class="field">
            <label for="req-recipient">${t.recipient}<span class="tag optional">${t.optional}</span></label>
            <select id="req-recipient" name="recipient">
              <option value="">${t.recipientAll}</option>
              ${recipients.map((r) => html`<option value=${show(r.id)}>${show(r.name ?? r.id)}</option>`)}
            </select></div>`
        : this.renderInput_('req-recipient', t.recipient, { hint: t.recipientHint }));
    }
    return parts.length ? html`<fieldset id="kind-fields">
      <legend>${this.kindName_(kind)}</legend>${parts}</fieldset>` : nothing;
  }

  renderReceipt_() {
    const t = this.t_;
    const r = this.receipt_;
    return html`
      <section id="receipt" class="receipt" aria-labelledby="receipt-heading">
        <h2 id="receipt-heading" tabindex="-1">${t.receiptHeading}</h2>
        <dl>
          <dt>${t.kind}</dt><dd>${this.kindName_(r.kind)}</dd>
          <dt>${t.requestId}</dt><dd><code id="receipt-id">${show(r.request)}</code></dd>
          <dt>${t.secret}</dt><dd><code id="receipt-secret" class="secret">${show(r.secret)}</code></dd>
          <dt>${t.due}</dt><dd><time id="receipt-due" datetime=${show(r.due)}>
            ${t.dueValue(dueDay(r.due, this.lang_, this.zone_))}</time></dd>
          <dt>${t.status}</dt><dd>${t.statuses[r.status] ?? show(r.status)}</dd>
        </dl>
        <p class="keep" id="keep-secret">${t.keepSecret}</p>
        <div class="actions">
          <button id="follow" type="button" @click=${this.onFollow_}>${t.checkNow}</button>
        </div>
      </section>
    `;
  }

  renderStatus_() {
    const t = this.t_;
    return html`
      <section id="status-lookup" aria-labelledby="status-heading">
        <h2 id="status-heading">${t.statusHeading}</h2>
        <p>${t.statusIntro}</p>
        <form id="status-form" @submit=${this.onStatus_} novalidate autocomplete="off">
          <div class="field">
            <label for="status-id">${t.requestId}<span class="tag required">${t.required}</span></label>
            <input id="status-id" name="request" required aria-required="true" spellcheck="false"
                   autocomplete="off" .value=${this.creds_ ? this.creds_.id : ''}>
          </div>
          <div class="field">
            <label for="status-secret">${t.secret}<span class="tag required">${t.required}</span></label>
            <input id="status-secret" name="secret" type="password" required aria-required="true"
                   autocomplete="off" spellcheck="false" .value=${this.creds_ ? this.creds_.secret : ''}>
          </div>
          <div class="actions">
            <button id="status-submit" type="submit" ?disabled=${this.busy_}>${t.showStatus}</button>
            ${this.request_ ? html`<button id="status-done" type="button" @click=${this.onDone_}>
              ${t.clearStatus}</button>` : nothing}
          </div>
        </form>
      </section>
      ${this.request_ ? this.renderRequestStatus_(this.request_) : nothing}
    `;
  }

  renderRequestStatus_(r) {
    const t = this.t_;
    const lang = this.lang_;
    const zone = this.zone_;
    const extensions = list(r.extensions);
    const refusal = r.refusal && typeof r.refusal === 'object' ? r.refusal : null;
    const outcome = r.outcome && typeof r.outcome === 'object' ? r.outcome : null;
    const open = kOpenStatuses.has(r.status);
    return html`
      <section id="request-status" aria-labelledby="request-heading" data-request=${show(r.request)}>
        <h2 id="request-heading" tabindex="-1">${this.kindName_(r.kind)} · ${show(r.request)}</h2>
        <dl>
          <dt>${t.status}</dt>
          <dd id="status-status" data-status=${show(r.status)}
              class=${r.status === 'completed' ? 'completed' : r.status === 'refused' ? 'refused' : ''}>
            ${t.statuses[r.status] ?? show(r.status)}</dd>
          <dt>${t.receivedAt}</dt><dd>${dateTime(r.received_at, lang, zone)}</dd>
          <dt>${t.due}</dt><dd><time id="status-due" datetime=${show(r.due)}>
            ${t.dueValue(dueDay(r.due, lang, zone))}</time></dd>
          <dt>${t.verification}</dt>
          <dd id="status-verification" data-verification=${show(r.verification)}>
            ${t.verifications[r.verification] ?? show(r.verification)}</dd>
        </dl>
        ${extensions.length ? html`
          <h3>${t.extensions}</h3>
          <ul class="plain" id="status-extensions">
            ${extensions.map((x) => html`<li>${t.extensionDays(x.days)} —
              ${t.newDue}: ${dueDay(x.new_due, lang, zone)}. ${t.reason}: ${show(x.reason)}
              ${x.notice ? html`<br>${show(x.notice)}` : nothing}</li>`)}
          </ul>` : nothing}
        ${refusal ? html`
          <h3>${t.refusal}</h3>
          <div id="status-refusal" data-ground=${show(refusal.ground)}>
            <p><b>${show(refusal.notice)}</b> (${show(refusal.article)})</p>
            <p>${show(refusal.text)}</p>
          </div>` : nothing}
        ${outcome ? html`
          <h3>${t.outcome}</h3>
          <div id="status-outcome">
            <p>${show(outcome.summary)}</p>
            ${outcome.no_data_held ? html`<p id="no-data-held">${t.noDataHeld}</p>` : nothing}
            ${list(outcome.kept).length ? html`
              <h4>${t.kept}</h4>
              <table id="status-kept">
                <thead><tr><th scope="col">${t.keptItem}</th><th scope="col">${t.keptReason}</th></tr></thead>
                <tbody>${list(outcome.kept).map((k) => html`<tr><td>${show(k.item)}</td>
                  <td>${show(k.reason)}</td></tr>`)}</tbody>
              </table>` : nothing}
          </div>` : nothing}
        <div class="actions">
          ${r.result === true ? html`
            <button id="download-html" type="button" @click=${() => this.onDownload_('html')}>
              ${t.downloadHtml}</button>
            <button id="download-json" type="button" @click=${() => this.onDownload_('json')}>
              ${t.downloadJson}</button>` : nothing}
          <button id="refresh" type="button" @click=${this.loadStatus_}>${t.refresh}</button>
          ${open && !this.askWithdraw_ ? html`<button id="withdraw" type="button"
              @click=${() => { this.askWithdraw_ = true; }}>${t.withdraw}</button>` : nothing}
        </div>
        ${open && this.askWithdraw_ ? html`<div id="withdraw-ask" role="group"
            aria-labelledby="withdraw-question">
          <p id="withdraw-question" class="keep">${t.withdrawAsk}</p>
          <div class="actions">
            <button id="withdraw-confirm" type="button" @click=${this.onWithdraw_}>
              ${t.withdrawConfirm}</button>
            <button id="withdraw-cancel" type="button" @click=${() => { this.askWithdraw_ = false; }}>
              ${t.withdrawCancel}</button>
          </div></div>` : nothing}
      </section>
    `;
  }

  renderComplaint_() {
    const t = this.t_;
    const c = this.complaintReceipt_;
    return html`
      ${c ? html`<section id="complaint-receipt" class="receipt" aria-labelledby="complaint-heading">
        <h2 id="complaint-heading" tabindex="-1">${t.complaintReceipt}</h2>
        <dl>
          <dt>${t.complaintId}</dt><dd><code id="complaint-id">${show(c.complaint)}</code></dd>
          <dt>${t.firstResponseDue}</dt><dd><time id="complaint-due"
            datetime=${show(c.first_response_due)}>
            ${dateTime(c.first_response_due, this.lang_, this.zone_)}</time></dd>
        </dl>
      </section>` : nothing}
      <section id="complaint" aria-labelledby="complaint-form-heading">
        <h2 id="complaint-form-heading">${t.complaintHeading}</h2>
        <p>${t.complaintIntro}</p>
        <form id="complaint-form" @submit=${this.onComplaint_} novalidate>
          <div class="field">
            <label for="cmp-service">${t.complaintService}<span class="tag optional">${t.optional}</span></label>
            <select id="cmp-service" name="service">
              <option value="">${t.serviceAny}</option>
              ${list(this.center_?.services).map((s) => html`<option value=${show(s.id)}>
                ${show(s.name)}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="cmp-category">${t.complaintCategory}<span class="tag required">${t.required}</span></label>
            <select id="cmp-category" name="category" required aria-required="true">
              ${this.complaintCategories_().map((k) => html`<option value=${show(k.id)}>
                ${show(k.name)}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="cmp-text">${t.complaintText}<span class="tag required">${t.required}</span></label>
            <textarea id="cmp-text" name="text" rows="6" required aria-required="true"></textarea>
          </div>
          ${this.renderInput_('cmp-contact', t.complaintContact, { required: true })}
          <div class="actions">
            <button id="cmp-submit" type="submit" ?disabled=${this.busy_}>
              ${this.busy_ ? t.sending : t.submitComplaint}</button>
          </div>
        </form>
      </section>
    `;
  }
}

customElements.define('mamori-privacy', MamoriPrivacy);
if (!document.querySelector('mamori-privacy')) {
  document.body.append(document.createElement('mamori-privacy'));
}
