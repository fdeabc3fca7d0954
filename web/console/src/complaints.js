// /console/complaints: the complaints about the handling of personal data
// (docs/requests.md, "Complaints" and "The API"): the queue from
// GET /v1/complaints with filters, and the complaint the address names
// (?complaint=ID) in detail, to assign, answer and close. Needs the
// `complaints` permission.
import { html, nothing } from 'lit';
import { ConsolePage, list, show, time } from './page.js';

const kComplaintStatuses = ['received', 'assigned', 'responded', 'closed'];

function complaintPath(id) {
  return `/v1/complaints/${encodeURIComponent(id)}`;
}

// The complaint the address names (?complaint=ID), or ''.
function complaintInUrl() {
  return new URLSearchParams(location.search).get('complaint') ?? '';
}

// Whether the first response is late: the server's word when it gave one,
// else no response yet and the due time past.
function isOverdue(c) {
  if (typeof c.overdue === 'boolean') return c.overdue;
  return !c.first_response_at && c.status !== 'closed' &&
    Date.parse(c.first_response_due) < Date.now();
}

export class MamoriComplaints extends ConsolePage {
  static page = 'complaints';
  static heading = 'complaints';
  static permission = 'complaints';

  static properties = {
    filters_: { state: true },
    complaints_: { state: true },
    selected_: { state: true },
    detail_: { state: true },
    notice_: { state: true },
  };

  constructor() {
    super();
    this.filters_ = { status: '', overdue: false };
    this.complaints_ = null;
    this.selected_ = complaintInUrl();
    this.detail_ = null;
    this.notice_ = '';
    this.onPopState_ = () => {
      this.selected_ = complaintInUrl();
      this.loadDetail_();
    };
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState_);
  }

  disconnectedCallback() {
    window.removeEventListener('popstate', this.onPopState_);
    super.disconnectedCallback();
  }

  clear_() {
    this.complaints_ = null;
    this.detail_ = null;
    this.notice_ = '';
  }

  async load_() {
    if (!this.token_) return;
    this.error_ = null;
    this.loading_ = true;
    await this.loadList_();
    this.loading_ = false;
    if (this.complaints_ && this.selected_) await this.loadDetail_();
  }

  async loadList_() {
    const query = new URLSearchParams();
    if (this.filters_.status) query.set('status', this.filters_.status);
    if (this.filters_.overdue) query.set('overdue', 'true');
    const target = query.toString() ? `/v1/complaints?${query}` : '/v1/complaints';
    const sequence = ++this.sequence_;
    const body = await this.call_('GET', target);
    if (sequence !== this.sequence_) return;
    if (body) this.complaints_ = list(body.complaints);
  }

  async loadDetail_() {
    const id = this.selected_;
    this.notice_ = '';
    if (!id || !this.token_) {
      this.detail_ = null;
      return;
    }
    const body = await this.call_('GET', complaintPath(id));
    if (id !== this.selected_) return;
    this.detail_ = body ? this.detailOf_(body) : null;
    if (body) this.error_ = null;
  }

  // {complaint, overdue} from GET, or the bare complaint an action answers.
  detailOf_(body) {
    const complaint = body.complaint && typeof body.complaint === 'object'
      ? body.complaint : body;
    const overdue = typeof body.overdue === 'boolean' ? body.overdue : undefined;
    return { complaint: overdue === undefined ? complaint : { overdue, ...complaint } };
  }

  select_(id) {
    if (id === this.selected_) return;
    history.pushState(null, '', `?${new URLSearchParams({ complaint: id })}`);
    this.selected_ = id;
    this.error_ = null;
    this.loadDetail_();
  }

  onFilter_(event) {
    event.preventDefault();
    this.filters_ = {
      status: this.renderRoot.querySelector('#filter-status').value,
      overdue: this.renderRoot.querySelector('#filter-overdue').checked,
    };
    this.error_ = null;
    this.loadList_();
  }

  // One action on the selected complaint: its answer shown at once, then the
  // queue read again.
  async act_(action, json, notice) {
    const id = this.selected_;
    this.error_ = null;
    this.notice_ = '';
    const body = await this.call_('POST', `${complaintPath(id)}/${action}`, json);
    if (!body || id !== this.selected_) return false;
    this.detail_ = this.detailOf_(body);
    this.notice_ = notice;
    await this.loadList_();
    return true;
  }

  onAssign_(event) {
    event.preventDefault();
    const assignee = this.renderRoot.querySelector('#assignee').value.trim();
    if (!assignee) return;
    this.act_('assign', { assignee }, `assigned to ${assignee}`);
  }

  async onRespond_(event) {
    event.preventDefault();
    const input = this.renderRoot.querySelector('#response');
    const response = input.value.trim();
    if (!response) return;
    if (await this.act_('respond', { response }, 'response recorded')) input.value = '';
  }

  renderControls_() {
    return html`<button id="reload" type="button" @click=${() => this.load_()}>Reload</button>`;
  }

  renderBody_() {
    return html`
      ${this.renderError_()}
      ${this.notice_
        ? html`<section id="notice" class="notice" role="status">${this.notice_}</section>`
        : nothing}
      ${this.loading_ && !this.complaints_
        ? html`<p class="muted" id="loading">Loading…</p>`
        : nothing}
      ${this.complaints_ ? this.renderQueue_(this.complaints_) : nothing}
      ${this.detail_ ? this.renderDetail_(this.detail_.complaint) : nothing}
    `;
  }

  renderQueue_(complaints) {
    const f = this.filters_;
    return html`
      <section id="complaint-list">
        <h2>Queue</h2>
        <form id="filters" @submit=${this.onFilter_} @change=${this.onFilter_}>
          <label for="filter-status">status</label>
          <select id="filter-status">
            <option value="" ?selected=${!f.status}>any</option>
            ${kComplaintStatuses.map((s) => html`<option value=${s} ?selected=${f.status === s}>
              ${s}</option>`)}
          </select>
          <input id="filter-overdue" type="checkbox" .checked=${f.overdue}>
          <label for="filter-overdue">overdue only</label>
          <button type="submit">Filter</button>
        </form>
        ${complaints.length
          ? html`<table>
              <caption class="muted">overdue rows (no first response in time) are marked
                "overdue"</caption>
              <thead><tr><th scope="col">id</th><th scope="col">received</th>
                <th scope="col">category</th><th scope="col">service</th>
                <th scope="col">status</th><th scope="col">first response due</th>
                <th scope="col">assignee</th><th scope="col">first response</th></tr></thead>
              <tbody>
                ${complaints.map((c) => {
                  const overdue = isOverdue(c);
                  const classes = [c.id === this.selected_ ? 'selected' : '',
                    overdue ? 'overdue' : ''].join(' ').trim();
                  return html`<tr class=${classes} data-complaint=${show(c.id)}
                      data-overdue=${overdue ? 'true' : 'false'}>
                    <td><button class="link" type="button"
                      @click=${() => this.select_(c.id)}>${show(c.id)}</button></td>
                    <td>${time(c.received_at)}</td><td>${show(c.category)}</td>
                    <td>${show(c.service)}</td><td class="status">${show(c.status)}</td>
                    <td class="due"><span class=${overdue ? 'overdue' : ''}>
                      ${time(c.first_response_due)}${overdue
                        ? html` <b class="overdue-flag">overdue</b>` : nothing}</span></td>
                    <td>${show(c.assignee)}</td><td>${time(c.first_response_at)}</td>
                  </tr>`;
                })}
              </tbody></table>`
          : html`<p class="muted" id="queue-empty">no complaint</p>`}
      </section>
    `;
  }

  renderDetail_(c) {
    const overdue = isOverdue(c);
    const status = show(c.status);
    return html`
      <section id="complaint-detail" data-complaint=${show(c.id)}>
        <h2>Complaint <span id="detail-id">${show(c.id)}</span></h2>
        <dl>
          <dt>status</dt><dd id="detail-status">${status}</dd>
          <dt>category</dt><dd>${show(c.category)}</dd>
          <dt>service</dt><dd>${show(c.service)}</dd>
          <dt>received</dt><dd>${time(c.received_at)}</dd>
          <dt>first response due</dt>
          <dd id="detail-due" class=${overdue ? 'overdue' : ''}>${time(c.first_response_due)}
            ${overdue ? html`<b class="overdue-flag">overdue</b>` : nothing}</dd>
          <dt>text</dt><dd id="detail-text">${show(c.text)}</dd>
          <dt>contact</dt><dd id="detail-contact">${show(c.contact)}</dd>
          <dt>assignee</dt><dd id="detail-assignee">${show(c.assignee)}</dd>
          <dt>first response</dt><dd>${time(c.first_response_at)}</dd>
          <dt>last response</dt><dd id="detail-response">${show(c.last_response)}</dd>
        </dl>
      </section>
      ${status !== 'closed' ? this.renderActions_(c) : nothing}
    `;
  }

  renderActions_(c) {
    const canRespond = c.status === 'assigned' || c.status === 'responded';
    return html`
      <section id="actions">
        <h2>Actions</h2>
        <fieldset>
          <legend>Assign</legend>
          <form id="assign" @submit=${this.onAssign_}>
            <label for="assignee">assignee (staff actor id)</label>
            <input id="assignee" required size="24"
                   .value=${typeof c.assignee === 'string' ? c.assignee : ''}>
            <button type="submit">Assign</button>
            <button id="assign-me" type="button"
              @click=${() => this.act_('assign', {}, 'assigned to you')}>Assign to me</button>
          </form>
        </fieldset>
        <fieldset>
          <legend>Respond</legend>
          <form id="respond" @submit=${this.onRespond_}>
            <label for="response">response to the complainant</label>
            <textarea id="response" rows="3" required ?disabled=${!canRespond}></textarea>
            <button type="submit" ?disabled=${!canRespond}>Send response</button>
            ${canRespond ? nothing : html`<span class="muted">assign it first</span>`}
          </form>
        </fieldset>
        <fieldset>
          <legend>Close</legend>
          <button id="close" type="button" ?disabled=${c.status !== 'responded'}
            @click=${() => this.act_('close', {}, 'closed')}>Close the complaint</button>
          ${c.status !== 'responded'
            ? html`<span class="muted">only a complaint answered can be closed</span>`
            : nothing}
        </fieldset>
      </section>
    `;
  }
}
