// /console/complaints: the complaints about the handling of personal data
// (docs/requests.md, "Complaints" and "The API"): the queue from
// GET /v1/complaints with filters, and the complaint the address names
// (?complaint=ID) in detail, to assign, answer and close. Needs the
// `complaints` permission.
import { html, nothing } from 'lit';
import { show, time } from './page.js';
import { QueuePage, due, isOverdue } from './queue.js';

// Whether the first response is late: no response yet and the due time past.
function late(c) {
  return !c.first_response_at && c.status !== 'closed' &&
    Date.parse(c.first_response_due) < Date.now();
}

export class MamoriComplaints extends QueuePage {
  static page = 'complaints';
  static heading = 'complaints';
  static permission = 'complaints';
  static param = 'complaint';
  static queue = '/v1/complaints';
  static key = 'complaints';
  static filters = { status: ['received', 'assigned', 'responded', 'closed'] };

  // {complaint, overdue} from GET, or the bare complaint an action answers.
  detailOf_(body) {
    const complaint = body.complaint && typeof body.complaint === 'object'
      ? body.complaint : body;
    const overdue = typeof body.overdue === 'boolean' ? body.overdue : undefined;
    return { complaint: overdue === undefined ? complaint : { overdue, ...complaint } };
  }

  async onRespond_(event) {
    event.preventDefault();
    const input = this.renderRoot.querySelector('#response');
    const response = input.value.trim();
    if (!response) return;
    if (await this.act_('respond', { response }, 'response recorded')) input.value = '';
  }

  renderBody_() {
    return html`
      ${this.renderStatus_(this.items_)}
      ${this.items_ ? this.renderQueue_(this.items_) : nothing}
      ${this.detail_ ? this.renderDetail_(this.detail_.complaint) : nothing}
    `;
  }

  renderQueue_(complaints) {
    return html`
      <section id="complaint-list">
        <h2>Queue</h2>
        ${this.renderFilters_()}
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
                  const overdue = isOverdue(c, late);
                  return html`<tr class=${this.rowClass_(c.id, overdue)}
                      data-complaint=${show(c.id)} data-overdue=${overdue ? 'true' : 'false'}>
                    ${this.selectCell_(c.id)}
                    <td>${time(c.received_at)}</td><td>${show(c.category)}</td>
                    <td>${show(c.service)}</td><td class="status">${show(c.status)}</td>
                    <td class="due">${due(c.first_response_due, overdue)}</td>
                    <td>${show(c.assignee)}</td><td>${time(c.first_response_at)}</td>
                  </tr>`;
                })}
              </tbody></table>`
          : html`<p class="muted" id="queue-empty">no complaint</p>`}
      </section>
    `;
  }

  renderDetail_(c) {
    const overdue = isOverdue(c, late);
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
        ${this.renderAssign_(c)}
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
