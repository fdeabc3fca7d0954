// What the console's pages with one item in detail share (docs/console.md):
// SelectionPage, a list with the item the address names (?PARAM=ID) in
// detail, kept in step with the browser's history (incidents, requests,
// complaints); QueuePage, a selection page over a queue of the API
// (GET /v1/requests, GET /v1/complaints) with filters, overdue rows and
// actions posted on the selected item (requests, complaints).
import { html, nothing } from 'lit';
import { ConsolePage, list, show, states, time } from './page.js';

// Whether an item is late: the server's word when it gave one, else
// `late(item)` (its due time against the clock).
export function isOverdue(item, late) {
  if (typeof item.overdue === 'boolean') return item.overdue;
  return late(item);
}

// A due time, with "overdue" in words (not colour only) when it is.
export function due(value, overdue) {
  return html`<span class=${overdue ? 'overdue' : ''}>${time(value)}${overdue
    ? html` <b class="overdue-flag">overdue</b>` : nothing}</span>`;
}

// A list page with the item the address names (?PARAM=ID) in detail. Each
// page sets `param` and overrides load_ and loadDetail_.
export class SelectionPage extends ConsolePage {
  // The query parameter that names the selected item.
  static param = '';

  static properties = states('selected_', 'detail_', 'notice_');

  constructor() {
    super();
    this.selected_ = this.selectedInUrl_();
    this.detail_ = null;
    this.notice_ = '';
    this.onPopState_ = () => {
      this.selected_ = this.selectedInUrl_();
      this.loadDetail_();
    };
  }

  // The item the address names, or ''.
  selectedInUrl_() {
    return new URLSearchParams(location.search).get(this.constructor.param) ?? '';
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
    this.detail_ = null;
    this.notice_ = '';
  }

  // Reads the selected item; each page overrides it.
  loadDetail_() {}

  select_(id) {
    if (id === this.selected_) return;
    history.pushState(null, '', `?${new URLSearchParams({ [this.constructor.param]: id })}`);
    this.selected_ = id;
    this.loadDetail_();
  }

  renderControls_() {
    return html`<button id="reload" type="button" @click=${() => this.load_()}>Reload</button>`;
  }

  // The error, the notice of the last change and "Loading…" while `items`
  // (the list) is not there yet.
  renderStatus_(items) {
    return html`
      ${this.renderError_()}
      ${this.notice_
        ? html`<section id="notice" class="notice" role="status">${this.notice_}</section>`
        : nothing}
      ${this.loading_ && !items
        ? html`<p class="muted" id="loading">Loading…</p>`
        : nothing}
    `;
  }

  // The class of an item's row in the list: selected, overdue.
  rowClass_(id, overdue = false) {
    return [id === this.selected_ ? 'selected' : '', overdue ? 'overdue' : ''].join(' ').trim();
  }

  // The cell that selects an item.
  selectCell_(id) {
    return html`<td><button class="link" type="button"
      @click=${() => this.select_(id)}>${show(id)}</button></td>`;
  }
}

// A selection page over a queue of the API. Each page sets `queue` (the
// list's path, whose items are at `${queue}/{id}`), `key` (the list in its
// answer), `filters` (the choices of each select; an "overdue only" box
// follows), and overrides detailOf_.
export class QueuePage extends SelectionPage {
  static queue = '';
  static key = '';
  static filters = {};

  static properties = states('filters_', 'items_');

  constructor() {
    super();
    this.filters_ = {
      ...Object.fromEntries(Object.keys(this.constructor.filters).map((k) => [k, ''])),
      overdue: false,
    };
    this.items_ = null;
  }

  itemPath_(id) {
    return `${this.constructor.queue}/${encodeURIComponent(id)}`;
  }

  clear_() {
    super.clear_();
    this.items_ = null;
  }

  async load_() {
    if (!this.token_) return;
    this.error_ = null;
    this.loading_ = true;
    await this.loadList_();
    this.loading_ = false;
    if (this.items_ && this.selected_) await this.loadDetail_();
  }

  async loadList_() {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(this.filters_)) {
      if (value === true) query.set(key, 'true');
      else if (value) query.set(key, value);
    }
    const queue = this.constructor.queue;
    const target = query.toString() ? `${queue}?${query}` : queue;
    const sequence = ++this.sequence_;
    const body = await this.call_('GET', target);
    if (sequence !== this.sequence_) return;
    if (body) this.items_ = list(body[this.constructor.key]);
  }

  // What the page shows in detail from an answer about one item (GET, or an
  // action's), or null when the answer does not hold it.
  detailOf_() {
    return null;
  }

  async loadDetail_() {
    const id = this.selected_;
    this.notice_ = '';
    if (!id || !this.token_) {
      this.detail_ = null;
      return;
    }
    const body = await this.call_('GET', this.itemPath_(id));
    if (id !== this.selected_) return;
    this.detail_ = body ? this.detailOf_(body) : null;
    if (body) this.error_ = null;
  }

  select_(id) {
    if (id === this.selected_) return;
    this.error_ = null;
    super.select_(id);
  }

  onFilter_(event) {
    event.preventDefault();
    const root = this.renderRoot;
    const filters = {};
    for (const key of Object.keys(this.constructor.filters)) {
      filters[key] = root.querySelector(`#filter-${key}`).value;
    }
    filters.overdue = root.querySelector('#filter-overdue').checked;
    this.filters_ = filters;
    this.error_ = null;
    this.loadList_();
  }

  // One action on the selected item: its answer shown at once (or the item
  // read again when the answer does not hold it), then the queue read again.
  async act_(action, json, notice) {
    const id = this.selected_;
    this.error_ = null;
    this.notice_ = '';
    const body = await this.call_('POST', `${this.itemPath_(id)}/${action}`, json);
    if (!body || id !== this.selected_) return false;
    const detail = this.detailOf_(body);
    if (detail) {
      this.detail_ = detail;
    } else {
      await this.loadDetail_();
    }
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

  renderFilters_() {
    const f = this.filters_;
    return html`
      <form id="filters" @submit=${this.onFilter_} @change=${this.onFilter_}>
        ${Object.entries(this.constructor.filters).map(([key, choices]) => html`
          <label for=${`filter-${key}`}>${key}</label>
          <select id=${`filter-${key}`}>
            <option value="" ?selected=${!f[key]}>any</option>
            ${choices.map((c) => html`<option value=${c} ?selected=${f[key] === c}>
              ${c}</option>`)}
          </select>`)}
        <input id="filter-overdue" type="checkbox" .checked=${f.overdue}>
        <label for="filter-overdue">overdue only</label>
        <button type="submit">Filter</button>
      </form>
    `;
  }

  // The "Assign" part of the actions.
  renderAssign_(item) {
    return html`
      <fieldset>
        <legend>Assign</legend>
        <form id="assign" @submit=${this.onAssign_}>
          <label for="assignee">assignee (staff actor id)</label>
          <input id="assignee" name="assignee" required size="24"
                 .value=${typeof item.assignee === 'string' ? item.assignee : ''}>
          <button type="submit">Assign</button>
          <button id="assign-me" type="button"
            @click=${() => this.act_('assign', {}, 'assigned to you')}>Assign to me</button>
        </form>
      </fieldset>
    `;
  }
}
