// /console/requests: the customer requests (docs/requests.md, "The API"):
// the queue from GET /v1/requests with filters, and the request the address
// names (?request=ID) in detail from GET /v1/requests/{id}: what the customer
// gave, the verification, due time and extensions, the outcome or refusal,
// the result document and the ledger trail, with the staff's actions (assign,
// verify, approve, refuse, extend, retry). Needs the `requests` permission.
import { html, nothing } from 'lit';
import { list, show, time, yesNo } from './page.js';
import { QueuePage, due, isOverdue } from './queue.js';

export const kRequestKinds = [
  'purpose_notice', 'disclosure', 'correction', 'addition', 'deletion', 'stop_use',
  'stop_provision',
];
const kRequestStatuses = [
  'received', 'verifying', 'in_progress', 'completed', 'refused', 'withdrawn',
];
const kOpenStatuses = new Set(['received', 'verifying', 'in_progress']);

// The refusal grounds (docs/requests.md, "Refusal grounds"): what each means
// and the kinds it may refuse. `not_verified` refuses any kind, but only
// while the request is not verified.
const kGrounds = {
  harm_to_person_or_others: 'would harm the person or others (Art. 33(2)(i))',
  business_hindrance: 'would seriously hinder the business (Art. 33(2)(ii))',
  other_law: 'would violate another law (Art. 33(2)(iii))',
  data_correct: 'the data is correct: nothing to correct (Art. 34(2))',
  no_cessation_ground: 'no statutory ground for cessation (Art. 35)',
  not_verified: 'identity or authority not verified (Art. 37(1))',
  other: 'other ground, named in the text (Art. 32(2) proviso)',
};
const kGroundsByKind = {
  purpose_notice: ['other'],
  disclosure: ['harm_to_person_or_others', 'business_hindrance', 'other_law'],
  correction: ['data_correct'],
  addition: ['data_correct'],
  deletion: ['data_correct'],
  stop_use: ['no_cessation_ground'],
  stop_provision: ['no_cessation_ground'],
};

// The grounds a request may be refused on now.
export function allowedGrounds(request) {
  const grounds = [...(kGroundsByKind[request.kind] ?? [])];
  if (request.verification !== 'verified') grounds.push('not_verified');
  return grounds;
}

// Whether an open request is past its due time.
function late(r) {
  return kOpenStatuses.has(r.status) && Date.parse(r.due) < Date.now();
}

function scalar(value) {
  return value === null || typeof value !== 'object';
}

// An {id, name} pair (a purpose, a category): "name (id)".
function isNamedId(value) {
  return value && typeof value === 'object' && !Array.isArray(value) &&
    Object.keys(value).length === 2 && typeof value.id === 'string' && 'name' in value;
}

// Any JSON value as nested lists and tables (the result document of a
// request: a disclosure's data, the purposes, an outcome): a list of
// objects is a table with a column per field. Lit escapes every value.
export function renderDocument(value, depth = 0) {
  if (value === null || value === undefined || value === '') return html`<span>—</span>`;
  if (typeof value === 'boolean') return yesNo(value);
  if (scalar(value)) return String(value);
  if (depth > 8) return html`<code>${JSON.stringify(value)}</code>`;
  if (isNamedId(value)) return `${show(value.name)} (${value.id})`;
  if (Array.isArray(value)) {
    if (!value.length) return html`<span class="muted">none</span>`;
    if (value.every(scalar)) return value.map(show).join(', ');
    if (value.every(isNamedId)) return value.map((v) => `${show(v.name)} (${v.id})`).join(', ');
    if (value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return html`<table>
        <thead><tr>${keys.map((k) => html`<th scope="col">${k}</th>`)}</tr></thead>
        <tbody>${value.map((v) => html`<tr>${keys.map(
          (k) => html`<td>${renderDocument(v[k], depth + 1)}</td>`)}</tr>`)}
        </tbody></table>`;
    }
    return html`<ol>${value.map((v) => html`<li>${renderDocument(v, depth + 1)}</li>`)}</ol>`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return html`<span class="muted">none</span>`;
  return html`<dl>${entries.map(([k, v]) => html`<dt>${k}</dt>
    <dd>${renderDocument(v, depth + 1)}</dd>`)}</dl>`;
}

export class MamoriRequests extends QueuePage {
  static page = 'requests';
  static heading = 'customer requests';
  static permission = 'requests';
  static param = 'request';
  static queue = '/v1/requests';
  static key = 'requests';
  static filters = { status: kRequestStatuses, kind: kRequestKinds };

  // GET and the actions answer the same body: {request, result, trail, ...}.
  detailOf_(body) {
    return body.request ? body : null;
  }

  async onRefuse_(event) {
    event.preventDefault();
    const root = this.renderRoot;
    const ground = root.querySelector('#refuse-ground').value;
    const text = root.querySelector('#refuse-text').value.trim();
    if (!ground || !text) return;
    await this.act_('refuse', { ground, text }, `refused (${ground})`);
  }

  async onExtend_(event) {
    event.preventDefault();
    const root = this.renderRoot;
    const days = Number(root.querySelector('#extend-days').value);
    const reason = root.querySelector('#extend-reason').value.trim();
    const notice = root.querySelector('#extend-notice').value.trim();
    if (!Number.isInteger(days) || !reason || !notice) return;
    if (await this.act_('extend', { days, reason, notice }, `extended by ${days} days`)) {
      root.querySelector('#extend-reason').value = '';
      root.querySelector('#extend-notice').value = '';
    }
  }

  renderBody_() {
    return html`
      ${this.renderStatus_(this.items_)}
      ${this.items_ ? this.renderQueue_(this.items_) : nothing}
      ${this.detail_ ? this.renderDetail_(this.detail_) : nothing}
    `;
  }

  renderQueue_(requests) {
    return html`
      <section id="request-list">
        <h2>Queue</h2>
        ${this.renderFilters_()}
        ${requests.length
          ? html`<table>
              <caption class="muted">by due time; overdue rows are marked "overdue"</caption>
              <thead><tr><th scope="col">id</th><th scope="col">kind</th>
                <th scope="col">status</th><th scope="col">verification</th>
                <th scope="col">received</th><th scope="col">due</th>
                <th scope="col">assignee</th><th scope="col">subject</th>
                <th scope="col">agent</th><th scope="col">execution</th></tr></thead>
              <tbody>
                ${requests.map((r) => {
                  const overdue = isOverdue(r, late);
                  return html`<tr class=${this.rowClass_(r.id, overdue)} data-request=${show(r.id)}
                      data-overdue=${overdue ? 'true' : 'false'}>
                    ${this.selectCell_(r.id)}
                    <td>${show(r.kind)}</td><td class="status">${show(r.status)}</td>
                    <td>${show(r.verification)}</td><td>${time(r.received_at)}</td>
                    <td class="due">${due(r.due, overdue)}</td><td>${show(r.assignee)}</td>
                    <td>${show(r.subject)}</td><td>${yesNo(r.agent)}</td>
                    <td class="execution">${r.error
                      ? html`<span class="bad">failed (${show(r.failures)}×):
                          ${show(r.error)}</span>`
                      : html`<span class="muted">—</span>`}</td>
                  </tr>`;
                })}
              </tbody></table>`
          : html`<p class="muted" id="queue-empty">no request</p>`}
      </section>
    `;
  }

  renderDetail_(d) {
    const r = d.request;
    const summary = list(this.items_).find((s) => s.id === r.id);
    const overdue = isOverdue(summary ?? { ...r, status: r.status ?? d.status }, late);
    const open = kOpenStatuses.has(r.status);
    return html`
      <section id="request-detail" data-request=${show(r.id)}>
        <h2>Request <span id="detail-id">${show(r.id)}</span></h2>
        <dl>
          <dt>kind</dt><dd id="detail-kind">${show(r.kind)}
            ${r.article ? html`<span class="muted">(${show(r.article)})</span>` : nothing}</dd>
          <dt>status</dt><dd id="detail-status">${show(r.status ?? d.status)}</dd>
          <dt>received</dt><dd>${time(r.received_at)}</dd>
          <dt>due</dt><dd id="detail-due">${due(r.due, overdue)}</dd>
          <dt>assignee</dt><dd id="detail-assignee">${show(r.assignee)}</dd>
          <dt>subject</dt><dd id="detail-subject">${show(r.subject_id ?? r.subject)}</dd>
          <dt>language</dt><dd>${show(r.language)}</dd>
        </dl>
      </section>
      ${this.renderGiven_(r)}
      ${this.renderVerification_(r)}
      ${this.renderExtensions_(r)}
      ${this.renderAnswer_(r)}
      ${open ? this.renderActions_(r) : nothing}
      ${this.renderResult_(d.result)}
      ${this.renderTrail_(list(d.trail))}
      ${this.renderOther_(r)}
    `;
  }

  // Everything the customer gave.
  renderGiven_(r) {
    const identifiers = Array.isArray(r.identifiers)
      ? r.identifiers.map((i) => [i.kind, i.value])
      : Object.entries(r.identifiers ?? {});
    const agent = r.agent && typeof r.agent === 'object' ? r.agent : null;
    const asked = [['category', r.category], ['value', r.value], ['purpose', r.purpose],
      ['recipient', r.recipient], ['erase', r.erase]].filter(([, v]) => v !== undefined);
    return html`
      <section id="given">
        <h2>What the customer gave</h2>
        <table id="identifiers">
          <thead><tr><th scope="col">identifier</th><th scope="col">as given</th></tr></thead>
          <tbody>${identifiers.map(([k, v]) => html`<tr><td>${show(k)}</td>
            <td>${show(v)}</td></tr>`)}</tbody>
        </table>
        <dl>
          <dt>details</dt><dd id="detail-details">${show(r.details)}</dd>
          <dt>agent</dt><dd id="detail-agent">${agent
            ? `${show(agent.kind)}: ${show(agent.name)} (${show(agent.contact)})`
            : 'none (the person)'}</dd>
          ${asked.map(([k, v]) => html`<dt>${k}</dt>
            <dd>${typeof v === 'boolean' ? yesNo(v) : show(v)}</dd>`)}
        </dl>
      </section>
    `;
  }

  // The verification and, staff-side only, its internal reason.
  renderVerification_(r) {
    const internal = Object.entries(r).filter(
      ([k]) => k.startsWith('verification') && k !== 'verification');
    const state = show(r.verification);
    return html`
      <section id="verification">
        <h2>Verification</h2>
        <dl>
          <dt>state</dt>
          <dd id="detail-verification" class=${state === 'verified' ? 'ok'
            : state === 'cannot_verify' ? 'bad' : ''}>${state}</dd>
          ${internal.map(([k, v]) => html`<dt>${k.replace(/_/g, ' ')}</dt>
            <dd class="verification-internal">${show(v)}</dd>`)}
        </dl>
      </section>
    `;
  }

  renderExtensions_(r) {
    const extensions = list(r.extensions);
    return html`
      <section id="extensions">
        <h2>Extensions</h2>
        ${extensions.length
          ? html`<table>
              <thead><tr><th scope="col" class="num">days</th><th scope="col">reason</th>
                <th scope="col">notice to the customer</th><th scope="col">noticed</th>
                <th scope="col">due before</th><th scope="col">new due</th></tr></thead>
              <tbody>${extensions.map((e) => html`<tr>
                <td class="num">${show(e.days)}</td><td>${show(e.reason)}</td>
                <td>${show(e.notice)}</td><td>${time(e.noticed_at)}</td>
                <td>${time(e.previous_due)}</td><td>${time(e.new_due)}</td></tr>`)}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  // The outcome (with the items kept), the refusal, or a failed execution.
  renderAnswer_(r) {
    const outcome = r.outcome && typeof r.outcome === 'object' ? r.outcome : null;
    const refusal = r.refusal && typeof r.refusal === 'object' ? r.refusal : null;
    return html`
      <section id="answer">
        <h2>Answer</h2>
        ${r.error
          ? html`<p id="detail-error" class="bad" role="status">Execution failed
              (${show(r.failures)} failure(s)): ${show(r.error)}</p>
              ${r.status === 'in_progress'
                ? html`<button id="retry" type="button"
                    @click=${() => this.act_('retry', {}, 'retried')}>Retry</button>`
                : nothing}`
          : nothing}
        ${outcome
          ? html`<dl id="outcome">
              <dt>summary</dt><dd id="outcome-summary">${show(outcome.summary)}</dd>
              <dt>no data held</dt><dd>${yesNo(outcome.no_data_held)}</dd>
            </dl>
            <h2>Items kept</h2>
            ${list(outcome.kept).length
              ? html`<table id="kept">
                  <thead><tr><th scope="col">item</th><th scope="col">why it is kept</th>
                    </tr></thead>
                  <tbody>${list(outcome.kept).map((k) => html`<tr><td>${show(k.item)}</td>
                    <td>${show(k.reason)}</td></tr>`)}</tbody></table>`
              : html`<p class="muted">none</p>`}`
          : nothing}
        ${refusal
          ? html`<dl id="refusal">
              <dt>refused on</dt><dd id="refusal-ground">${show(refusal.ground)}
                <span class="muted">${show(refusal.article)}</span></dd>
              <dt>reasons notified</dt><dd id="refusal-text">${show(refusal.text)}</dd>
              ${refusal.notice ? html`<dt>notice</dt><dd>${show(refusal.notice)}</dd>` : nothing}
            </dl>`
          : nothing}
        ${!r.error && !outcome && !refusal ? html`<p class="muted">not answered yet</p>` : nothing}
      </section>
    `;
  }

  renderActions_(r) {
    const grounds = allowedGrounds(r);
    const canVerify = r.status === 'received' || r.status === 'verifying';
    return html`
      <section id="actions">
        <h2>Actions</h2>
        ${this.renderAssign_(r)}
        <fieldset>
          <legend>Identity and approval</legend>
          <button id="verify" type="button" ?disabled=${!canVerify}
            @click=${() => this.act_('verify', {}, 'verification run')}>Verify identity</button>
          <button id="approve" type="button" ?disabled=${r.verification !== 'verified'}
            @click=${() => this.act_('approve', {}, 'approved')}>Approve and execute</button>
          ${r.verification !== 'verified'
            ? html`<span class="muted">approval needs a verified requester</span>`
            : nothing}
        </fieldset>
        <fieldset>
          <legend>Refuse</legend>
          <form id="refuse" @submit=${this.onRefuse_}>
            <div class="fields stack">
              <div>
                <label for="refuse-ground">ground (allowed for ${show(r.kind)})</label>
                <select id="refuse-ground" required>
                  ${grounds.map((g) => html`<option value=${g}>${g}: ${kGrounds[g]}</option>`)}
                </select>
              </div>
              <div>
                <label for="refuse-text">reasons, as notified to the customer</label>
                <textarea id="refuse-text" rows="2" required></textarea>
              </div>
            </div>
            <button type="submit">Refuse</button>
          </form>
        </fieldset>
        <fieldset>
          <legend>Extend the due time</legend>
          <form id="extend" @submit=${this.onExtend_}>
            <div class="fields stack">
              <div>
                <label for="extend-days">days</label>
                <input id="extend-days" type="number" min="1" step="1" value="14" required>
              </div>
              <div>
                <label for="extend-reason">reason</label>
                <input id="extend-reason" required size="30">
              </div>
              <div>
                <label for="extend-notice">notice sent to the customer</label>
                <textarea id="extend-notice" rows="2" required></textarea>
              </div>
            </div>
            <button type="submit">Extend</button>
          </form>
        </fieldset>
      </section>
    `;
  }

  renderResult_(result) {
    return html`
      <section id="result">
        <h2>Result document</h2>
        ${result === null || result === undefined
          ? html`<p class="muted">none yet</p>`
          : html`<div class="doc" id="result-document">${renderDocument(result)}</div>
              <details><summary>as JSON</summary>
                <pre id="result-json">${JSON.stringify(result, null, 2)}</pre></details>`}
      </section>
    `;
  }

  // The request's ledger entries, in order.
  renderTrail_(trail) {
    const shown = new Set(['seq', 'at', 'time', 'actor', 'change', 'action', 'type']);
    return html`
      <section id="trail">
        <h2>Ledger trail</h2>
        ${trail.length
          ? html`<table>
              <thead><tr><th scope="col" class="num">seq</th><th scope="col">at</th>
                <th scope="col">actor</th><th scope="col">change</th>
                <th scope="col">details</th></tr></thead>
              <tbody>${trail.map((e) => html`<tr>
                <td class="num">${show(e.seq)}</td><td>${time(e.at ?? e.time)}</td>
                <td>${show(e.actor)}</td>
                <td class="change">${show(e.change ?? e.action ?? e.type)}</td>
                <td><code>${JSON.stringify(
                  Object.fromEntries(Object.entries(e).filter(([k]) => !shown.has(k))))}</code>
                </td></tr>`)}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  // Any field of the request the sections above do not show.
  renderOther_(r) {
    const known = new Set(['id', 'kind', 'article', 'status', 'received_at', 'due', 'assignee',
      'subject_id', 'subject', 'language', 'identifiers', 'details', 'agent', 'category', 'value',
      'purpose', 'recipient', 'erase', 'extensions', 'outcome', 'refusal', 'error', 'failures',
      'verification', 'overdue']);
    const other = Object.entries(r).filter(
      ([k]) => !known.has(k) && !k.startsWith('verification'));
    if (!other.length) return nothing;
    return html`
      <section id="other-fields">
        <h2>Other fields</h2>
        <div class="doc">${renderDocument(Object.fromEntries(other))}</div>
      </section>
    `;
  }
}
