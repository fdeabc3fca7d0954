// The mamori staff console (docs/console.md): six pages that share one HTML
// shell, which mounts the page's element by path:
//   /console/audit       <mamori-audit>       GET /v1/audit/report for a period
//   /console/incidents   <mamori-incidents>   the incidents, one in detail
//   /console/alerts      <mamori-alerts>      GET /v1/alerts, open an incident
//   /console/requests    <mamori-requests>    customer requests (requests.js)
//   /console/complaints  <mamori-complaints>  complaints (complaints.js)
//   /console/lookup      <mamori-lookup>      a customer looked up for a purpose (lookup.js)
//
// What the pages share (the token prompt, the nav, the API calls) is
// ConsolePage in page.js.
import { html, nothing, svg } from 'lit';
import { MamoriComplaints } from './complaints.js';
import { MamoriLookup } from './lookup.js';
import {
  ConsolePage, apiError, dayIn, isoDay, kDayMs, kPages, list, readJson, show, states, time,
  yesNo,
} from './page.js';
import { SelectionPage } from './queue.js';
import { MamoriRequests } from './requests.js';

export class MamoriAudit extends ConsolePage {
  static page = 'audit';
  static heading = 'audit dashboard';
  static permission = 'audit';

  static properties = states('from_', 'to_', 'report_');


  constructor() {
    super();
    const today = new Date();
    this.to_ = isoDay(today);
    this.from_ = isoDay(new Date(today.getTime() - 29 * kDayMs));
    this.report_ = null;
  }

  query_(extra = {}) {
    return new URLSearchParams({ from: this.from_, to: this.to_, ...extra }).toString();
  }

  clear_() {
    this.report_ = null;
  }

  async load_() {
    if (!this.token_) return;
    if (this.from_ > this.to_) {
      this.error_ = { code: 'invalid_range', message: 'the start date is after the end date' };
      return;
    }
    const sequence = ++this.sequence_;
    this.loading_ = true;
    try {
      const response = await this.fetch_(`/v1/audit/report?${this.query_()}`);
      const body = await readJson(response);
      if (sequence !== this.sequence_) return;
      if (response.status === 401) {
        const e = apiError(response, body);
        this.signOut_(`${e.code}: ${e.message}`);
      } else if (!response.ok || !body || typeof body !== 'object') {
        this.error_ = apiError(response, body);
        this.report_ = null;
      } else {
        this.error_ = null;
        this.report_ = body;
      }
    } catch (e) {
      if (sequence === this.sequence_) {
        this.error_ = { code: 'network', message: String(e && e.message ? e.message : e) };
      }
    } finally {
      if (sequence === this.sequence_) this.loading_ = false;
    }
  }

  onRange_(event) {
    event.preventDefault();
    const from = this.renderRoot.querySelector('#from').value;
    const to = this.renderRoot.querySelector('#to').value;
    if (!from || !to) return;
    this.from_ = from;
    this.to_ = to;
    this.load_();
  }

  // The printable report is server-rendered HTML (see openHtml_).
  onPrint_() {
    this.openHtml_(`/v1/audit/report?${this.query_({ format: 'html' })}`);
  }

  renderControls_() {
    return this.renderRange_();
  }

  renderBody_() {
    return this.renderDashboard_();
  }

  renderRange_() {
    return html`
      <form id="range" @submit=${this.onRange_} @change=${this.onRange_}>
        <label>from <input id="from" type="date" .value=${this.from_} required></label>
        <label>to <input id="to" type="date" .value=${this.to_} required></label>
        <button type="submit">Show</button>
        <button id="print" type="button" @click=${this.onPrint_}>Printable report</button>
      </form>
    `;
  }

  renderDashboard_() {
    const r = this.report_;
    return html`
      ${this.renderError_()}
      ${this.loading_ && !r ? html`<p class="muted" id="loading">Loading…</p>` : nothing}
      ${r ? this.renderReport_(r) : nothing}
    `;
  }

  renderReport_(r) {
    const period = r.period ?? {};
    return html`
      <p class="muted" id="period">Period ${dayIn(period.from, period.time_zone)} to
        ${dayIn(period.to, period.time_zone, 1)} (${show(period.time_zone)}) ·
        generated ${time(r.generated_at)}</p>
      ${this.renderLedger_(r.ledger ?? {})}
      ${this.renderDecisions_(r.decisions ?? {})}
      ${this.renderExceptionUses_(list(r.exception_uses))}
      <div class="grid">
        ${this.renderRequests_(r.requests ?? {})}
        ${this.renderRetention_(r.retention ?? {})}
      </div>
      ${this.renderIncidents_(list(r.incidents))}
      ${this.renderAlerts_(list(r.alerts))}
      ${this.renderTraining_(list(r.training))}
      ${this.renderTrustees_(list(r.trustees))}
      ${this.renderPolicyVersions_(list(r.policy_versions))}
    `;
  }

  renderLedger_(ledger) {
    const head = ledger.tree_head ?? {};
    const problems = list(ledger.problems);
    return html`
      <section id="ledger">
        <h2>Ledger</h2>
        <dl>
          <dt>verified</dt>
          <dd id="ledger-verified" class=${ledger.verified === true ? 'ok' : 'bad'}>
            ${ledger.verified === true ? 'yes' : 'no'}</dd>
          <dt>entries</dt><dd id="ledger-entries">${show(ledger.entries)}</dd>
          <dt>tree size</dt><dd id="ledger-tree-size">${show(head.tree_size)}</dd>
          <dt>root hash</dt><dd><code>${show(head.root_hash)}</code></dd>
          <dt>signed at</dt><dd>${time(head.signed_at)}</dd>
          <dt>verified from</dt><dd>${show(ledger.verified_from)}</dd>
        </dl>
        ${problems.length
          ? html`<ul id="ledger-problems" class="bad">
              ${problems.map((p) => html`<li>${show(p)}</li>`)}</ul>`
          : nothing}
      </section>
    `;
  }

  renderDecisions_(d) {
    const byRule = list(d.by_rule);
    return html`
      <section id="decisions">
        <h2>Decisions</h2>
        <div class="totals">
          <div>total <b id="decisions-total">${show(d.total)}</b></div>
          <div>allowed <b id="decisions-allowed" class="ok">${show(d.allowed)}</b></div>
          <div>denied <b id="decisions-denied" class="bad">${show(d.denied)}</b></div>
        </div>
        ${this.renderByDay_(list(d.by_day))}
        <div class="grid">
          <div>
            <h2>By rule</h2>
            <table id="by-rule">
              <thead><tr><th>rule</th><th>outcome</th><th class="num">count</th></tr></thead>
              <tbody>
                ${byRule.map(
                  (row) => html`<tr><td>${show(row.rule_id)}</td><td>${show(row.outcome)}</td>
                    <td class="num">${show(row.count)}</td></tr>`,
                )}
              </tbody>
            </table>
          </div>
          <div>
            <h2>By role</h2>
            ${this.renderByRole_(list(d.by_role))}
          </div>
        </div>
      </section>
    `;
  }

  // Allowed and denied decisions per day, as stacked bars.
  renderByDay_(days) {
    const rows = [...days].sort((a, b) => show(a.day).localeCompare(show(b.day)));
    const width = 720;
    const height = 170;
    const left = 36;
    const bottom = 20;
    const top = 8;
    const plotW = width - left - 4;
    const plotH = height - top - bottom;
    const max = Math.max(1, ...rows.map((r) => (Number(r.allowed) || 0) + (Number(r.denied) || 0)));
    const step = rows.length ? plotW / rows.length : plotW;
    const barW = Math.max(1, Math.min(28, step * 0.8));
    const y = (v) => top + plotH - (v / max) * plotH;
    return html`
      <svg id="by-day" role="img" aria-label="decisions per day" viewBox="0 0 ${width} ${height}"
           width="100%" preserveAspectRatio="xMinYMin meet">
        <line x1=${left} y1=${top + plotH} x2=${width - 4} y2=${top + plotH} stroke="#b8c0ca"></line>
        <text x=${left - 4} y=${top + 10} text-anchor="end">${max}</text>
        <text x=${left - 4} y=${top + plotH} text-anchor="end">0</text>
        ${rows.map((r, i) => {
          const allowed = Number(r.allowed) || 0;
          const denied = Number(r.denied) || 0;
          const x = left + i * step + (step - barW) / 2;
          return svg`<g class="day">
            <title>${show(r.day)}: ${allowed} allowed, ${denied} denied</title>
            <rect class="allowed" x=${x} y=${y(allowed)} width=${barW}
                  height=${top + plotH - y(allowed)}></rect>
            <rect class="denied" x=${x} y=${y(allowed + denied)} width=${barW}
                  height=${y(allowed) - y(allowed + denied)}></rect>
          </g>`;
        })}
        ${rows.length
          ? svg`<text x=${left} y=${height - 4}>${show(rows[0].day)}</text>
              <text x=${width - 4} y=${height - 4} text-anchor="end">
                ${show(rows[rows.length - 1].day)}</text>`
          : svg`<text x=${left + 8} y=${top + plotH / 2}>no decisions in this period</text>`}
      </svg>
      <p class="muted"><svg width="10" height="10"><rect class="allowed" width="10" height="10">
        </rect></svg> allowed <svg width="10" height="10"><rect class="denied" width="10"
        height="10"></rect></svg> denied</p>
    `;
  }

  renderByRole_(roles) {
    if (!roles.length) return html`<p class="muted" id="by-role">none</p>`;
    const max = Math.max(1, ...roles.map((r) => Number(r.count) || 0));
    const rowH = 20;
    const labelW = 170;
    const barMax = 200;
    return html`
      <svg id="by-role" role="img" aria-label="decisions by role" width="100%"
           viewBox="0 0 ${labelW + barMax + 50} ${roles.length * rowH}">
        ${roles.map((r, i) => {
          const count = Number(r.count) || 0;
          return svg`<g class="role">
            <text x="0" y=${i * rowH + 14}>${show(r.role)}</text>
            <rect class="bar" x=${labelW} y=${i * rowH + 4}
                  width=${Math.max(1, (count / max) * barMax)} height="12"></rect>
            <text x=${labelW + (count / max) * barMax + 6} y=${i * rowH + 14}>${count}</text>
          </g>`;
        })}
      </svg>
    `;
  }

  renderExceptionUses_(uses) {
    return html`
      <section id="exception-uses">
        <h2>Uses under an exception ground</h2>
        ${uses.length
          ? html`<table>
              <thead><tr><th>entry</th><th>at</th><th>actor</th><th>purpose</th><th>ground</th>
                <th>subject</th><th>outcome</th></tr></thead>
              <tbody>
                ${uses.map(
                  (u) => html`<tr><td>${show(u.entry)}</td><td>${time(u.at)}</td>
                    <td>${show(u.actor)}</td><td>${show(u.purpose)}</td><td>${show(u.ground)}</td>
                    <td>${show(u.subject)}</td>
                    <td class=${u.outcome === 'allow' ? 'ok' : 'bad'}>${show(u.outcome)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderRequests_(requests) {
    return html`
      <section id="requests">
        <h2>Customer requests</h2>
        ${requests.tracked === false
          ? html`<p class="muted">not tracked yet</p>`
          : html`<dl>
                <dt>received in the period</dt><dd id="requests-received">${show(requests.received)}</dd>
                <dt>completed / refused / withdrawn</dt>
                <dd>${show(requests.completed)} / ${show(requests.refused)} / ${show(requests.withdrawn)}</dd>
                <dt>open now</dt><dd>${show(requests.open)}</dd>
                <dt>overdue now</dt>
                <dd id="requests-overdue" class=${(requests.overdue || []).length ? 'bad' : 'ok'}>
                  ${(requests.overdue || []).length}</dd>
                <dt>answered late</dt><dd>${(requests.answered_late || []).length}</dd>
                <dt>complaints received</dt><dd>${show(requests.complaints?.received)}</dd>
                <dt>complaints past their first-response time</dt>
                <dd class=${(requests.complaints?.overdue || []).length ? 'bad' : 'ok'}>
                  ${(requests.complaints?.overdue || []).length}</dd>
                <dt>complaints answered late</dt>
                <dd>${(requests.complaints?.responded_late || []).length}</dd>
              </dl>
              ${[...(requests.overdue || []), ...(requests.answered_late || [])].length
                ? html`<table><thead><tr><th scope="col">request</th><th scope="col">kind</th>
                    <th scope="col">status</th><th scope="col">due</th>
                    <th scope="col">answered</th></tr></thead><tbody>
                    ${[...(requests.overdue || []), ...(requests.answered_late || [])].map(
                      (r) => html`<tr><td>${r.id}</td><td>${r.kind}</td><td>${r.status}</td>
                        <td>${show(r.due)}</td><td>${show(r.answered_at)}</td></tr>`,
                    )}</tbody></table>`
                : nothing}`}
      </section>
    `;
  }

  renderRetention_(retention) {
    const past = Number(retention.records_past_retention) || 0;
    return html`
      <section id="retention">
        <h2>Retention</h2>
        <dl>
          <dt>records past retention</dt>
          <dd id="records-past-retention" class=${past > 0 ? 'bad' : 'ok'}>
            ${show(retention.records_past_retention)}</dd>
          <dt>held (legal hold)</dt><dd>${show(retention.held)}</dd>
        </dl>
      </section>
    `;
  }

  renderIncidents_(incidents) {
    const now = Date.now();
    const report = (rep) => {
      const overdue = !rep.submitted && Date.parse(rep.due) < now;
      return html`<li>${show(rep.kind)}: due ${time(rep.due)} ·
        ${rep.submitted
          ? html`<span class="ok">submitted ${time(rep.submitted)}</span>`
          : html`<span class=${overdue ? 'bad' : ''}>${overdue ? 'overdue' : 'pending'}</span>`}
      </li>`;
    };
    return html`
      <section id="incidents">
        <h2>Incidents</h2>
        ${incidents.length
          ? html`<table>
              <thead><tr><th>id</th><th>discovered</th><th>cause</th><th class="num">affected</th>
                <th>reportable</th><th>reports and deadlines</th></tr></thead>
              <tbody>
                ${incidents.map(
                  (i) => html`<tr><td>${show(i.id)}</td><td>${time(i.discovered_at)}</td>
                    <td>${show(i.cause)}</td><td class="num">${show(i.affected)}</td>
                    <td>${yesNo(i.reportable)}</td>
                    <td><ul>${list(i.reports).map(report)}</ul></td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderAlerts_(alerts) {
    return html`
      <section id="alerts">
        <h2>Alerts</h2>
        ${alerts.length
          ? html`<table>
              <thead><tr><th>id</th><th>actor</th><th>kind</th><th>day</th>
                <th class="num">count / threshold</th><th>role</th></tr></thead>
              <tbody>
                ${alerts.map(
                  (a) => html`<tr><td>${show(a.id)}</td><td>${show(a.actor)}</td>
                    <td>${show(a.kind)}</td><td>${show(a.day)}</td>
                    <td class="num">${show(a.count)} / ${show(a.threshold)}</td>
                    <td>${show(a.role)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderTraining_(training) {
    return html`
      <section id="training">
        <h2>Training due</h2>
        ${training.length
          ? html`<table>
              <thead><tr><th>actor</th><th>course</th><th>valid until</th><th>status</th>
                <th>roles</th></tr></thead>
              <tbody>
                ${training.map(
                  (t) => html`<tr><td>${show(t.actor)}</td><td>${show(t.course)}</td>
                    <td>${time(t.valid_until)}</td><td>${show(t.status)}</td>
                    <td>${show(t.roles)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderTrustees_(trustees) {
    return html`
      <section id="trustees">
        <h2>Trustees</h2>
        ${trustees.length
          ? html`<table>
              <thead><tr><th>id</th><th>name</th><th>contract in force</th><th>audit overdue</th>
                <th>next audit due</th></tr></thead>
              <tbody>
                ${trustees.map(
                  (t) => html`<tr><td>${show(t.id)}</td><td>${show(t.name)}</td>
                    <td class=${t.contract_in_force === false ? 'bad' : ''}>
                      ${yesNo(t.contract_in_force)}</td>
                    <td class=${t.overdue_audit === true ? 'bad' : ''}>${yesNo(t.overdue_audit)}</td>
                    <td>${time(t.next_due)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderPolicyVersions_(versions) {
    return html`
      <section id="policy-versions">
        <h2>Policy versions</h2>
        ${versions.length
          ? html`<table>
              <thead><tr><th class="num">version</th><th>loaded at</th><th>loaded by</th>
                <th>changes</th></tr></thead>
              <tbody>
                ${versions.map(
                  (v) => html`<tr><td class="num">${show(v.version)}</td>
                    <td>${time(v.loaded_at)}</td><td>${show(v.loaded_by)}</td>
                    <td>${show(v.changes)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }
}

// The narrative fields of an incident's reports (POST .../narrative).
const kNarrativeFields = [
  ['secondary_damage', 'Secondary damage'],
  ['response_to_persons', 'Response to the persons concerned'],
  ['publication', 'Publication'],
  ['recurrence_prevention', 'Recurrence prevention'],
  ['other', 'Other'],
  ['inquiry_desk', 'Inquiry desk'],
];

// The earliest report not yet submitted, or undefined.
function nextReport(incident) {
  return list(incident.reports)
    .filter((r) => r.status !== 'submitted')
    .sort((a, b) => show(a.due).localeCompare(show(b.due)))[0];
}

function incidentPath(id) {
  return `/v1/incidents/${encodeURIComponent(id)}`;
}

// /console/incidents: every incident, and the one selected in detail (its
// facts, required reports with their drafts, narrative and timeline).
export class MamoriIncidents extends SelectionPage {
  static page = 'incidents';
  static heading = 'incidents';
  static permission = 'incidents';
  static param = 'incident';

  static properties = states('incidents_', 'timeline_');

  constructor() {
    super();
    this.incidents_ = null;
    this.timeline_ = null;
  }

  clear_() {
    super.clear_();
    this.incidents_ = null;
    this.timeline_ = null;
  }

  async load_() {
    if (!this.token_) return;
    this.error_ = null;
    this.loading_ = true;
    const body = await this.call_('GET', '/v1/incidents');
    this.loading_ = false;
    if (body) this.incidents_ = list(body.incidents);
    if (body && this.selected_) await this.loadDetail_();
  }

  async loadDetail_() {
    const id = this.selected_;
    this.notice_ = '';
    if (!id || !this.token_) {
      this.detail_ = null;
      this.timeline_ = null;
      return;
    }
    const sequence = ++this.sequence_;
    const detail = await this.call_('GET', incidentPath(id));
    if (sequence !== this.sequence_) return;
    this.detail_ = detail ?? null;
    if (!detail) return;
    this.error_ = null;
    await this.loadTimeline_();
  }

  async loadTimeline_() {
    const id = this.selected_;
    const timeline = await this.call_('GET', `${incidentPath(id)}/timeline`);
    if (timeline && id === this.selected_) this.timeline_ = list(timeline.events);
  }

  // After a change: the new incident in detail, the list and timeline again.
  async changed_(body, notice) {
    if (!body) return;
    this.error_ = null;
    this.detail_ = body;
    this.notice_ = notice;
    const listed = await this.call_('GET', '/v1/incidents');
    if (listed) this.incidents_ = list(listed.incidents);
    await this.loadTimeline_();
  }

  async onSubmitted_(event, kind) {
    event.preventDefault();
    const id = this.selected_;
    const reference = event.target.querySelector('input[name=reference]').value.trim();
    const body = await this.call_('POST', `${incidentPath(id)}/reports`, { kind, reference });
    if (id === this.selected_) await this.changed_(body, `${kind} marked submitted`);
  }

  async onNarrative_(event) {
    event.preventDefault();
    const id = this.selected_;
    const fields = {};
    for (const [field] of kNarrativeFields) {
      fields[field] = this.renderRoot.querySelector(`#narrative-${field}`).value;
    }
    const body = await this.call_('POST', `${incidentPath(id)}/narrative`, fields);
    if (id === this.selected_) await this.changed_(body, 'narrative saved');
  }

  onDraft_(kind, lang) {
    const query = new URLSearchParams({ lang, format: 'html' });
    this.openHtml_(`${incidentPath(this.selected_)}/drafts/${encodeURIComponent(kind)}?${query}`);
  }

  renderBody_() {
    return html`
      ${this.renderStatus_(this.incidents_)}
      ${this.incidents_ ? this.renderList_(this.incidents_) : nothing}
      ${this.detail_ ? this.renderDetail_(this.detail_) : nothing}
    `;
  }

  renderList_(incidents) {
    const next = (i) => {
      const r = nextReport(i);
      if (!r) return html`<span class="muted">—</span>`;
      return html`<span class=${r.overdue === true ? 'bad' : ''}>${show(r.kind)}
        ${time(r.due)}${r.overdue === true ? ' · overdue' : ''}</span>`;
    };
    return html`
      <section id="incident-list">
        <h2>Incidents</h2>
        ${incidents.length
          ? html`<table>
              <thead><tr><th>id</th><th>discovered</th><th>cause</th><th>status</th>
                <th class="num">affected</th><th>reportable</th><th>next report due</th>
                </tr></thead>
              <tbody>
                ${incidents.map(
                  (i) => html`<tr class=${this.rowClass_(i.incident)}
                      data-incident=${show(i.incident)}>
                    ${this.selectCell_(i.incident)}
                    <td>${time(i.discovered_at)}</td><td>${show(i.cause)}</td>
                    <td>${show(i.status)}</td><td class="num">${show(i.affected)}</td>
                    <td>${yesNo(i.reportable)}</td><td class="next-due">${next(i)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }

  renderDetail_(d) {
    return html`
      <section id="incident-detail" data-incident=${show(d.incident)}>
        <h2>Incident <span id="detail-id">${show(d.incident)}</span></h2>
        <dl>
          <dt>status</dt><dd id="detail-status">${show(d.status)}</dd>
          <dt>cause</dt>
          <dd id="detail-cause">${show(d.cause)}${d.suspected ? ' (suspected)' : ''}</dd>
          <dt>description</dt><dd id="detail-description">${show(d.description)}</dd>
          <dt>discovered</dt><dd>${time(d.discovered_at)}</dd>
          <dt>occurred</dt><dd>${time(d.occurred_at)}</dd>
          <dt>opened</dt><dd>${time(d.opened_at)} by ${show(d.opened_by)}</dd>
          <dt>affected persons</dt><dd id="detail-affected">${show(d.affected)}</dd>
          <dt>persons counted</dt><dd>${show(d.persons)}</dd>
          <dt>reportable</dt>
          <dd id="detail-reportable" class=${d.reportable ? 'bad' : ''}>${yesNo(d.reportable)}</dd>
          <dt>reasons</dt><dd id="detail-reasons">${show(list(d.reasons))}</dd>
          <dt>exempt categories</dt><dd>${show(list(d.exempt_categories))}</dd>
          <dt>closed</dt><dd>${time(d.closed_at)}</dd>
        </dl>
      </section>
      <section id="categories">
        <h2>Categories</h2>
        ${list(d.categories).length
          ? html`<table>
              <thead><tr><th>category</th><th class="num">persons</th>
                <th>encrypted, keys safe</th></tr></thead>
              <tbody>
                ${list(d.categories).map(
                  (c) => html`<tr><td>${show(c.id)}</td><td class="num">${show(c.subjects)}</td>
                    <td>${yesNo(c.encrypted_without_keys)}</td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
      ${this.renderReports_(list(d.reports))}
      ${this.renderNarrative_(d.narrative ?? {})}
      ${this.renderTimeline_()}
    `;
  }

  renderReports_(reports) {
    return html`
      <section id="reports">
        <h2>Required reports</h2>
        ${reports.length
          ? html`<table>
              <thead><tr><th>report</th><th>to</th><th>due</th><th>status</th><th>reference</th>
                <th>draft</th></tr></thead>
              <tbody>
                ${reports.map((r) => {
                  const kind = show(r.kind);
                  return html`<tr data-kind=${kind}>
                    <td>${kind}</td>
                    <td>${show(r.authority)}${r.filed_with && r.filed_with !== r.authority
                      ? html` (via ${show(r.filed_with)})` : nothing}</td>
                    <td class=${r.overdue === true ? 'bad' : ''}>${time(r.due)}
                      ${r.overdue === true ? html`<b class="overdue">overdue</b>` : nothing}</td>
                    <td class="status">${r.status === 'submitted'
                      ? html`<span class="ok">submitted ${time(r.submitted_at)}</span>`
                      : html`<form class="mark" @submit=${(e) => this.onSubmitted_(e, r.kind)}>
                          <span>${show(r.status)}</span>
                          <input name="reference" placeholder="reference" size="14"
                                 aria-label=${`reference of the ${kind} report`}>
                          <button type="submit">Mark submitted</button></form>`}</td>
                    <td>${show(r.reference)}</td>
                    <td><button class="draft-ja" type="button"
                          @click=${() => this.onDraft_(r.kind, 'ja')}>日本語</button>
                        <button class="draft-en" type="button"
                          @click=${() => this.onDraft_(r.kind, 'en')}>English</button></td>
                  </tr>`;
                })}
              </tbody></table>`
          : html`<p class="muted">none required</p>`}
      </section>
    `;
  }

  renderNarrative_(narrative) {
    return html`
      <section>
        <h2>Narrative (for the reports)</h2>
        <form id="narrative" @submit=${this.onNarrative_}>
          <div class="fields">
            ${kNarrativeFields.map(
              ([field, label]) => html`<div>
                <label for=${`narrative-${field}`}>${label}</label>
                <textarea id=${`narrative-${field}`} rows="3"
                  .value=${typeof narrative[field] === 'string' ? narrative[field] : ''}></textarea>
              </div>`,
            )}
          </div>
          <button id="save-narrative" type="submit">Save narrative</button>
        </form>
      </section>
    `;
  }

  renderTimeline_() {
    const events = this.timeline_;
    const shown = new Set(['entry', 'at', 'actor', 'change', 'incident']);
    return html`
      <section id="timeline">
        <h2>Timeline</h2>
        ${!events
          ? html`<p class="muted">Loading…</p>`
          : events.length
          ? html`<table>
              <thead><tr><th class="num">entry</th><th>at</th><th>actor</th><th>change</th>
                <th>details</th></tr></thead>
              <tbody>
                ${events.map(
                  (e) => html`<tr><td class="num">${show(e.entry)}</td><td>${time(e.at)}</td>
                    <td>${show(e.actor)}</td><td class="change">${show(e.change ?? e.type)}</td>
                    <td><code>${JSON.stringify(
                      Object.fromEntries(Object.entries(e).filter(([k]) => !shown.has(k))),
                    )}</code></td></tr>`,
                )}
              </tbody></table>`
          : html`<p class="muted">none</p>`}
      </section>
    `;
  }
}

// /console/alerts: the period's alerts (GET /v1/alerts), each of which can
// open an incident (then shown on the incidents page).
export class MamoriAlerts extends ConsolePage {
  static page = 'alerts';
  static heading = 'alerts';
  static permission = 'audit';

  static properties = states('from_', 'to_', 'alerts_');

  constructor() {
    super();
    const today = new Date();
    this.to_ = isoDay(today);
    this.from_ = isoDay(new Date(today.getTime() - 29 * kDayMs));
    this.alerts_ = null;
  }

  clear_() {
    this.alerts_ = null;
  }

  async load_() {
    if (!this.token_) return;
    if (this.from_ > this.to_) {
      this.error_ = { code: 'invalid_range', message: 'the start date is after the end date' };
      return;
    }
    const sequence = ++this.sequence_;
    this.error_ = null;
    this.loading_ = true;
    const query = new URLSearchParams({ from: this.from_, to: this.to_ });
    const body = await this.call_('GET', `/v1/alerts?${query}`);
    if (sequence !== this.sequence_) return;
    this.loading_ = false;
    this.alerts_ = body ? list(body.alerts) : null;
  }

  onRange_(event) {
    event.preventDefault();
    const from = this.renderRoot.querySelector('#from').value;
    const to = this.renderRoot.querySelector('#to').value;
    if (!from || !to) return;
    this.from_ = from;
    this.to_ = to;
    this.load_();
  }

  async onOpen_(event, alert) {
    event.preventDefault();
    const description = event.target.querySelector('input[name=description]').value.trim();
    if (!description) return;
    this.error_ = null;
    const body = await this.call_('POST', `/v1/alerts/${encodeURIComponent(alert)}/incident`, {
      cause: 'insider',
      description,
    });
    if (body && body.incident) {
      const query = new URLSearchParams({ incident: body.incident });
      location.assign(`${kPages.incidents.path}?${query}`);
    }
  }

  renderControls_() {
    return html`
      <form id="range" @submit=${this.onRange_} @change=${this.onRange_}>
        <label>from <input id="from" type="date" .value=${this.from_} required></label>
        <label>to <input id="to" type="date" .value=${this.to_} required></label>
        <button type="submit">Show</button>
      </form>
    `;
  }

  renderBody_() {
    const alerts = this.alerts_;
    return html`
      ${this.renderError_()}
      ${this.loading_ && !alerts ? html`<p class="muted" id="loading">Loading…</p>` : nothing}
      ${alerts
        ? html`<section id="alerts">
            <h2>Alerts</h2>
            ${alerts.length
              ? html`<table>
                  <thead><tr><th>actor</th><th>kind</th><th>day</th>
                    <th class="num">count / threshold</th><th>role</th><th>open an incident
                    (cause: insider)</th></tr></thead>
                  <tbody>
                    ${alerts.map(
                      (a) => html`<tr data-alert=${show(a.id)}>
                        <td>${show(a.actor)}</td><td>${show(a.kind)}</td><td>${show(a.day)}</td>
                        <td class="num">${show(a.count)} / ${show(a.threshold)}</td>
                        <td>${show(a.role)}</td>
                        <td><form class="open" @submit=${(e) => this.onOpen_(e, a.id)}>
                          <input name="description" required size="24" placeholder="description"
                                 aria-label=${`description of an incident for ${show(a.id)}`}>
                          <button type="submit">Open incident</button></form></td></tr>`,
                    )}
                  </tbody></table>`
              : html`<p class="muted">none</p>`}
          </section>`
        : nothing}
    `;
  }
}

for (const [page, element] of [
  ['audit', MamoriAudit],
  ['incidents', MamoriIncidents],
  ['alerts', MamoriAlerts],
  ['requests', MamoriRequests],
  ['complaints', MamoriComplaints],
  ['lookup', MamoriLookup],
]) {
  customElements.define(kPages[page].element, element);
}

// The shell is the same for every page: mount the one the path names.
const mounted = Object.values(kPages).find((p) => p.path === location.pathname);
if (mounted && !document.querySelector(mounted.element)) {
  document.body.append(document.createElement(mounted.element));
}
