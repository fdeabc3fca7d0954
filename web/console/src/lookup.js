// /console/lookup: a customer looked up for a stated purpose. Every look-up
// is a use of personal data that the policy decides (docs/decisions.md), so
// the page asks for the purpose first, then one identifier
// (POST /v1/find {purpose, phone|email|contract|name|birth_date}), then the
// categories to read for a subject found (POST /v1/read {subject, purpose,
// categories}). A denial (403 with its decision) is shown with its reason
// code. Identifiers and values travel in request bodies only, never in a URL.
//
// The purposes and their categories are the policy's as announced: the
// notice of each service (GET /v1/public/notice/{service}) of the privacy
// center's services (GET /v1/public/privacy-center).
import { html, nothing } from 'lit';
import { ConsolePage, apiError, list, readJson, show, states } from './page.js';

const kIdentifierKinds = [
  ['phone', 'phone number', '090-1234-5678'],
  ['email', 'email address', 'name@example.jp'],
  ['contract', 'contract number', 'MT-0001-0001'],
  ['name', 'name', '山田 太郎'],
  ['birth_date', 'birth date', 'YYYY-MM-DD'],
];

// A public (no token) JSON document of this server.
async function publicJson(target) {
  const response = await fetch(target, {
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  const body = await readJson(response);
  if (!response.ok || !body || typeof body !== 'object') throw apiError(response, body);
  return body;
}

// The purposes announced in the services' notices, each once, with the
// categories it uses and the services that announce it.
async function announcedPurposes() {
  const center = await publicJson('/v1/public/privacy-center?lang=en');
  const services = list(center.services).filter((s) => s && typeof s.id === 'string');
  const notices = await Promise.all(services.map(
    (s) => publicJson(`/v1/public/notice/${encodeURIComponent(s.id)}?lang=en`)));
  const purposes = new Map();
  notices.forEach((notice, i) => {
    for (const p of list(notice.purposes)) {
      if (!p || typeof p.id !== 'string') continue;
      const entry = purposes.get(p.id) ?? {
        id: p.id, name: show(p.name), categories: new Map(), services: [],
      };
      for (const c of list(p.categories)) {
        if (c && typeof c.id === 'string') entry.categories.set(c.id, show(c.name));
      }
      entry.services.push(show(services[i].name ?? services[i].id));
      purposes.set(p.id, entry);
    }
  });
  return [...purposes.values()].map((p) => ({
    ...p, categories: [...p.categories].map(([id, name]) => ({ id, name })),
  }));
}

export class MamoriLookup extends ConsolePage {
  static page = 'lookup';
  static heading = 'customer lookup';
  static permission = '';

  static properties = states(
    'purposes_', 'purpose_', 'kind_', 'found_', 'subject_', 'read_', 'denial_',
  );

  constructor() {
    super();
    this.purposes_ = null;
    this.purpose_ = '';
    this.kind_ = 'phone';
    this.clear_();
  }

  // Forgets what was found and read (on sign-out, a new purpose, a new search).
  clear_() {
    this.found_ = null;
    this.subject_ = '';
    this.read_ = null;
    this.denial_ = null;
  }

  async load_() {
    if (!this.token_ || this.purposes_) return;
    this.error_ = null;
    this.loading_ = true;
    try {
      this.purposes_ = await announcedPurposes();
    } catch (e) {
      this.error_ = e && e.code ? e : { code: 'network', message: String(e && e.message) };
    } finally {
      this.loading_ = false;
    }
  }

  purposeInfo_() {
    return list(this.purposes_).find((p) => p.id === this.purpose_);
  }

  onPurpose_(event) {
    this.purpose_ = event.target.value;
    this.error_ = null;
    this.clear_();
  }

  onKind_(event) {
    this.kind_ = event.target.value;
  }

  // A denial is a decision, not an error: shown with its reason code.
  takeAnswer_(answer) {
    if (!answer) return undefined;
    const body = answer.body;
    if (answer.status === 403 && body && body.decision && typeof body.decision === 'object') {
      const e = apiError(answer.response, body);
      this.denial_ = { ...e, decision: body.decision };
      return undefined;
    }
    if (!answer.ok || !body || typeof body !== 'object') {
      this.error_ = apiError(answer.response, body);
      return undefined;
    }
    return body;
  }

  async onFind_(event) {
    event.preventDefault();
    const value = this.renderRoot.querySelector('#id-value').value.trim();
    if (!this.purpose_ || !value) return;
    this.error_ = null;
    this.clear_();
    const purpose = this.purpose_;
    const answer = await this.answer_('POST', '/v1/find', { purpose, [this.kind_]: value });
    if (purpose !== this.purpose_) return;
    const body = this.takeAnswer_(answer);
    if (!body) return;
    this.found_ = { subjects: list(body.subjects), decision: body.decision ?? {} };
    if (this.found_.subjects.length === 1) this.subject_ = show(this.found_.subjects[0]);
  }

  async onRead_(event) {
    event.preventDefault();
    const categories = [...this.renderRoot.querySelectorAll('input[name=category]:checked')]
      .map((input) => input.value);
    if (!this.subject_ || !categories.length) return;
    this.error_ = null;
    this.denial_ = null;
    this.read_ = null;
    const subject = this.subject_;
    const purpose = this.purpose_;
    const answer = await this.answer_('POST', '/v1/read', { subject, purpose, categories });
    if (subject !== this.subject_ || purpose !== this.purpose_) return;
    const body = this.takeAnswer_(answer);
    if (body) this.read_ = { subject, values: body.values ?? {}, decision: body.decision ?? {} };
  }

  renderBody_() {
    return html`
      ${this.renderError_()}
      ${this.loading_ && !this.purposes_
        ? html`<p class="muted" id="loading">Loading…</p>`
        : nothing}
      ${this.purposes_ ? this.renderFind_() : nothing}
      ${this.denial_ ? this.renderDenial_(this.denial_) : nothing}
      ${this.found_ ? this.renderFound_(this.found_) : nothing}
      ${this.found_ && this.subject_ ? this.renderRead_() : nothing}
      ${this.read_ ? this.renderValues_(this.read_) : nothing}
    `;
  }

  renderFind_() {
    const chosen = this.purposeInfo_();
    const placeholder = (kIdentifierKinds.find(([k]) => k === this.kind_) ?? [])[2] ?? '';
    return html`
      <section id="find">
        <h2>1. Purpose, 2. identifier</h2>
        <form id="find-form" @submit=${this.onFind_} autocomplete="off">
          <div class="fields stack">
            <div>
              <label for="purpose">purpose of this lookup (required first)</label>
              <select id="purpose" required @change=${this.onPurpose_}>
                <option value="" ?selected=${!this.purpose_}>— choose a purpose —</option>
                ${this.purposes_.map((p) => html`<option value=${p.id}
                  ?selected=${p.id === this.purpose_}>${p.name} (${p.id})</option>`)}
              </select>
              ${chosen
                ? html`<p class="muted" id="purpose-services">announced by
                    ${chosen.services.join(', ')}</p>`
                : nothing}
            </div>
            <div>
              <label for="id-kind">identifier</label>
              <select id="id-kind" ?disabled=${!chosen} @change=${this.onKind_}>
                ${kIdentifierKinds.map(([k, label]) => html`<option value=${k}
                  ?selected=${k === this.kind_}>${label}</option>`)}
              </select>
            </div>
            <div>
              <label for="id-value">value</label>
              <input id="id-value" required ?disabled=${!chosen} spellcheck="false"
                     autocomplete="off" placeholder=${placeholder} size="24">
            </div>
          </div>
          <button id="find-button" type="submit" ?disabled=${!chosen}>Find</button>
          ${chosen ? nothing : html`<span class="muted">state the purpose first</span>`}
        </form>
      </section>
    `;
  }

  renderDenial_(d) {
    const decision = d.decision ?? {};
    return html`
      <section id="denial" class="denial" role="alert">
        <h2>Denied</h2>
        <dl>
          <dt>reason code</dt><dd id="denial-reason"><code>${show(decision.reason_code)}</code></dd>
          <dt>rule</dt><dd>${show(decision.rule_id)}</dd>
          <dt>legal basis</dt><dd>${show(decision.legal_basis)}</dd>
          ${decision.explanation
            ? html`<dt>why</dt><dd>${show(decision.explanation)}</dd>` : nothing}
          <dt>message</dt><dd id="denial-message">${d.code}: ${d.message}</dd>
          ${decision.ledger_entry !== undefined
            ? html`<dt>ledger entry</dt><dd>${show(decision.ledger_entry)}</dd>` : nothing}
        </dl>
      </section>
    `;
  }

  renderFound_(found) {
    return html`
      <section id="found">
        <h2>Subjects found</h2>
        <p class="muted">decision: ${show(found.decision.outcome)}
          (${show(found.decision.reason_code)})</p>
        ${found.subjects.length
          ? html`<table>
              <thead><tr><th scope="col">subject</th><th scope="col">select</th></tr></thead>
              <tbody>${found.subjects.map((s) => html`<tr data-subject=${show(s)}
                  class=${show(s) === this.subject_ ? 'selected' : ''}>
                <td>${show(s)}</td>
                <td><button type="button" class="select-subject"
                  aria-pressed=${show(s) === this.subject_ ? 'true' : 'false'}
                  @click=${() => { this.subject_ = show(s); this.read_ = null; }}>
                  Select ${show(s)}</button></td></tr>`)}
              </tbody></table>`
          : html`<p class="muted" id="none-found">no customer matches</p>`}
      </section>
    `;
  }

  renderRead_() {
    const categories = list(this.purposeInfo_()?.categories);
    return html`
      <section id="read">
        <h2>3. Categories to read for <span id="read-subject">${this.subject_}</span></h2>
        <form id="read-form" @submit=${this.onRead_}>
          <fieldset>
            <legend>categories used for this purpose</legend>
            ${categories.map((c) => html`<label class="category">
              <input type="checkbox" name="category" value=${c.id}> ${c.name}
              <span class="muted">(${c.id})</span></label> `)}
          </fieldset>
          <button id="read-button" type="submit">Read</button>
        </form>
      </section>
    `;
  }

  renderValues_(read) {
    const names = new Map(list(this.purposeInfo_()?.categories).map((c) => [c.id, c.name]));
    return html`
      <section id="values">
        <h2>Values of ${read.subject}</h2>
        <table>
          <thead><tr><th scope="col">category</th><th scope="col">values</th></tr></thead>
          <tbody>${Object.entries(read.values).map(([id, values]) => html`<tr data-category=${id}>
            <td>${names.get(id) ?? id} <span class="muted">(${id})</span></td>
            <td class="value">${list(values).length
              ? list(values).map((v) => html`<div>${show(v)}</div>`)
              : html`<span class="muted">none recorded</span>`}</td></tr>`)}
          </tbody>
        </table>
        <p class="muted">decision: ${show(read.decision.outcome)}
          (${show(read.decision.reason_code)}), ledger entry
          ${show(read.decision.ledger_entry)}</p>
      </section>
    `;
  }
}
