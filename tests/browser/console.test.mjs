// The staff console (docs/console.md) in headless chromium, driven with
// playwright-core. console_test.sh starts the server and sets:
//   MAMORI_URL       http://127.0.0.1:PORT
//   MAMORI_TOKEN     a token of a privacy officer (permission "audit")
//   MAMORI_AGENT_TOKEN  a token of a call-center agent (no "audit")
//   MAMORI_CHROMIUM  the browser (Debian's /usr/bin/chromium)
// Prints "ok - ..." / "not ok - ..." per check; exits 1 if any failed.
import {
  check, checkWhatTheBrowserSaw, elementDefined, finish, kWait, navMarks, required, signOut,
  textIn, until, withBrowser,
} from './harness.mjs';

const [base, token, agentToken] = required(
  ['MAMORI_URL', 'MAMORI_TOKEN', 'MAMORI_AGENT_TOKEN'], 'console_test.sh');
const executablePath = process.env.MAMORI_CHROMIUM || '/usr/bin/chromium';

// Staff of a Japanese operator: the browser's day is the operator's day
// (Asia/Tokyo in examples/telecom-operator.toml).
await withBrowser({
  base, executablePath, context: { timezoneId: 'Asia/Tokyo', locale: 'ja-JP' },
}, async (b) => {
  const { context, page, urls: requests, responses } = b;
  const reportQueries = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/v1/audit/report') reportQueries.push(url.search);
  });

  // --- the page and its headers ---------------------------------------------------
  const answer = await page.goto(`${base}/console/audit`, { waitUntil: 'load' });
  const headers = answer ? answer.headers() : {};
  await check('GET /console/audit is 200 text/html', () =>
    answer.status() === 200 && /^text\/html; charset=utf-8$/i.test(headers['content-type']));
  const csp = headers['content-security-policy'] ?? '';
  await check(`the page's CSP is strict (${csp})`, () =>
    /(^|;)\s*default-src 'self'/.test(csp) &&
    /(^|;)\s*script-src 'self'(;|$)/.test(csp) &&
    /(^|;)\s*style-src 'self' 'unsafe-inline'/.test(csp) &&
    /frame-ancestors 'none'/.test(csp) &&
    /object-src 'none'/.test(csp) &&
    !/unsafe-eval/.test(csp));
  await check('the page has X-Content-Type-Options: nosniff and Cache-Control: no-cache', () =>
    headers['x-content-type-options'] === 'nosniff' && /no-cache/.test(headers['cache-control']));
  await check('the element is defined (the script ran under the CSP)', () =>
    elementDefined(page, 'mamori-audit'));
  await check('the script is served as JavaScript with the same headers', () => {
    const r = responses.get('/console/assets/console.js');
    if (!r) throw new Error('no answer for /console/assets/console.js');
    const h = r.headers();
    return (
      r.status() === 200 &&
      /^text\/javascript/.test(h['content-type']) &&
      h['x-content-type-options'] === 'nosniff' &&
      /default-src 'self'/.test(h['content-security-policy'] ?? '') &&
      /no-cache/.test(h['cache-control'])
    );
  });
  await check('the page asks for a token in a password input', async () => {
    const input = page.locator('#token');
    await input.waitFor({ timeout: kWait });
    return (await input.getAttribute('type')) === 'password';
  });

  // --- a wrong token ----------------------------------------------------------------
  // Console errors and warnings by phase (b.phase): the wrong-token
  // step expects the browser's own "Failed to load resource ... 401" line
  // and nothing else.
  b.phase = 'wrong-token';
  await check('a wrong token shows "unauthenticated" and asks again', async () => {
    await page.locator('#token').fill('mamori_not-a-real-token');
    await page.locator('#sign-in').click();
    const message = page.locator('#auth-message');
    await message.waitFor({ timeout: kWait });
    const text = await message.textContent();
    if (!/unauthenticated/.test(text)) throw new Error(`message: ${text}`);
    await page.locator('#token').waitFor({ timeout: kWait });
  });
  await check('a rejected token is not kept', async () =>
    (await page.evaluate(() => sessionStorage.length + localStorage.length)) === 0);

  // --- an error from the API -------------------------------------------------------------
  b.phase = 'forbidden';
  await check('a token without the audit permission shows the API\'s "forbidden" error', async () => {
    await page.locator('#token').fill(agentToken);
    await page.locator('#sign-in').click();
    await page.locator('#error').waitFor({ timeout: kWait });
    const shown = await page.locator('#error').textContent();
    if (!/forbidden/.test(shown)) throw new Error(`shown: ${shown.trim()}`);
  });
  await check('sign out forgets that token', () => signOut(page));

  // --- the dashboard ------------------------------------------------------------------
  b.phase = 'dashboard';
  await check('the right token opens the dashboard', async () => {
    await page.locator('#token').fill(token);
    await page.locator('#sign-in').click();
    await page.locator('#ledger, #error').first().waitFor({ timeout: kWait });
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${(await page.locator('#error').textContent()).trim()}`);
    }
  });
  await check('the token is in sessionStorage only, and never in a URL', async () => {
    const stored = await page.evaluate(() => ({
      session: Object.values({ ...sessionStorage }),
      local: localStorage.length,
    }));
    const inUrl = requests.some((u) => u.includes(token)) || page.url().includes(token);
    return stored.session.includes(token) && stored.local === 0 && !inUrl;
  });
  const text = textIn(page);
  await check('the ledger verifies', async () => (await text('#ledger-verified')) === 'yes');
  await check('the ledger shows its entries and tree size', async () =>
    Number(await text('#ledger-entries')) > 0 && Number(await text('#ledger-tree-size')) > 0);
  await check('decisions: a total above 0, allowed and denied', async () =>
    Number(await text('#decisions-total')) >= 3 &&
    Number(await text('#decisions-allowed')) >= 2 &&
    Number(await text('#decisions-denied')) >= 1);
  await check('decisions over time: an SVG chart with bars', async () =>
    (await page.locator('#by-day rect.allowed').count()) > 0 &&
    (await page.locator('#by-day rect.denied').count()) > 0);
  await check('decisions by rule: a table with rows', async () =>
    (await page.locator('#by-rule tbody tr').count()) > 0);
  await check('decisions by role: bars for the call-center agent', async () => {
    const labels = await page.locator('#by-role text').allTextContents();
    return labels.includes('call-center-agent');
  });
  await check('customer requests: counted, none overdue', async () =>
    /^\d+$/.test(await text('#requests-received')) &&
    (await text('#requests-overdue')) === '0');
  for (const id of ['exception-uses', 'retention', 'incidents', 'alerts', 'training', 'trustees']) {
    await check(`the ${id} section is shown`, async () => page.locator(`#${id}`).isVisible());
  }
  await check('retention: records past retention is a number', async () =>
    /^\d+$/.test(await text('#records-past-retention')));
  await check('policy versions: version 1', async () => {
    const first = await page.locator('#policy-versions tbody tr td').first().textContent();
    return first.trim() === '1';
  });
  await check('no error is shown', async () => (await page.locator('#error').count()) === 0);
  await check('the printable report (format=html) opens from a blob: URL', async () => {
    const [popup] = await Promise.all([
      context.waitForEvent('page', { timeout: kWait }),
      page.locator('#print').click(),
    ]);
    await popup.waitForLoadState('load');
    const url = popup.url();
    const body = (await popup.locator('body').textContent({ timeout: kWait })).trim();
    await popup.close();
    if (!url.startsWith('blob:')) throw new Error(`opened ${url}`);
    return body.length > 0;
  });

  // --- a new date range ----------------------------------------------------------------
  b.phase = 'range';
  await check('a new date range queries the report again', async () => {
    const before = reportQueries.length;
    await page.locator('#from').fill('2020-01-01');
    await page.locator('#to').fill('2020-01-31');
    await until(
      () => reportQueries.slice(before).some((q) => /from=2020-01-01&to=2020-01-31/.test(q)),
      'a report query for January 2020',
    );
    await until(async () => /2020-01-01/.test(await text('#period')), 'the new period shown');
    await until(async () => (await text('#decisions-total')) === '0', 'no decisions in 2020');
  });

  // --- a reload keeps the session ---------------------------------------------------------
  b.phase = 'reload';
  await check('a reload keeps the token for this tab', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.locator('#ledger-verified').waitFor({ timeout: kWait });
  });
  await check('sign out forgets the token', () => signOut(page));

  // --- the alerts page: an alert opened as an incident --------------------------------
  b.phase = 'alerts';
  const alertsAnswer = await page.goto(`${base}/console/alerts`, { waitUntil: 'load' });
  await check('GET /console/alerts is 200 text/html with the same CSP', () => {
    const h = alertsAnswer.headers();
    return alertsAnswer.status() === 200 && /^text\/html/.test(h['content-type']) &&
      h['content-security-policy'] === csp && h['x-content-type-options'] === 'nosniff';
  });
  await check('the nav links the six pages, the current one marked', () =>
    navMarks(page, 'alerts'));
  await check('the alerts page asks for the token (signed out)', async () => {
    await page.locator('#token').waitFor({ timeout: kWait });
    await page.locator('#token').fill(token);
    await page.locator('#sign-in').click();
    await page.locator('#alerts, #error').first().waitFor({ timeout: kWait });
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${(await page.locator('#error').textContent()).trim()}`);
    }
  });
  const alertRow = page.locator('#alerts tr[data-alert^="alr_repeated_denials_"]');
  await check('the agent\'s five denials are a repeated_denials alert', async () => {
    await alertRow.first().waitFor({ timeout: kWait });
    const cells = (await alertRow.first().locator('td').allTextContents()).map((t) => t.trim());
    const [actor, kind, , counts] = cells;
    if (actor !== 'emp:agent' || kind !== 'repeated_denials' || !/^\d+ \/ 5$/.test(counts)) {
      throw new Error(`row: ${JSON.stringify(cells)}`);
    }
  });
  const incidentPosts = () =>
    requests.filter((u) => /\/v1\/alerts\/[^/]+\/incident$/.test(new URL(u).pathname)).length;
  await check('"open incident" needs a description', async () => {
    await alertRow.first().locator('button[type=submit]').click();
    await page.waitForTimeout(200);
    return incidentPosts() === 0 && new URL(page.url()).pathname === '/console/alerts';
  });
  const description = 'agent denied five times <script>window.pwned = 1</script>';
  let incidentId = '';
  await check('"open incident" opens one and shows it on the incidents page', async () => {
    await alertRow.first().locator('input[name=description]').fill(description);
    await Promise.all([
      page.waitForURL(/\/console\/incidents\?incident=/, { timeout: kWait }),
      alertRow.first().locator('button[type=submit]').click(),
    ]);
    incidentId = new URL(page.url()).searchParams.get('incident');
    await page.locator('#incident-detail').waitFor({ timeout: kWait });
    return /^inc_/.test(incidentId) && (await text('#detail-id')) === incidentId;
  });

  // --- the incidents page ------------------------------------------------------------------
  b.phase = 'incidents';
  await check('the incident is in the list, with its next report due', async () => {
    const row = page.locator(`#incident-list tr[data-incident="${incidentId}"]`);
    await row.waitFor({ timeout: kWait });
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
    if (cells[2] !== 'insider' || cells[5] !== 'yes' || !/appi_preliminary/.test(cells[6])) {
      throw new Error(`row: ${JSON.stringify(cells)}`);
    }
  });
  await check('the detail: insider, suspected, reportable (wrongful purpose), 1 person', async () =>
    /insider \(suspected\)/.test(await text('#detail-cause')) &&
    (await text('#detail-reportable')) === 'yes' &&
    /wrongful_purpose/.test(await text('#detail-reasons')) &&
    (await text('#detail-affected')) === '1' &&
    (await page.locator('#categories td', { hasText: 'pd:Name' }).count()) === 1);
  await check('the description is shown as text, not markup', async () =>
    (await text('#detail-description')) === description &&
    (await page.evaluate(() => window.pwned)) === undefined);
  const preliminary = page.locator('#reports tr[data-kind="appi_preliminary"]');
  await check('the required reports: appi_preliminary and appi_final, pending', async () =>
    (await preliminary.count()) === 1 &&
    (await page.locator('#reports tr[data-kind="appi_final"]').count()) === 1 &&
    /pending/.test(await preliminary.locator('td.status').textContent()));
  await check('the timeline shows the opening', async () => {
    await page.locator('#timeline tbody tr').first().waitFor({ timeout: kWait });
  });
  await check('"mark submitted" records the preliminary report with its reference', async () => {
    const rows = await page.locator('#timeline tbody tr').count();
    await preliminary.locator('input[name=reference]').fill('PPC-2026-0001');
    await preliminary.locator('button[type=submit]').click();
    const status = async () => (await preliminary.locator('td.status').textContent()).trim();
    await until(async () => /^submitted /.test(await status()), 'the report shown submitted');
    const cells = (await preliminary.locator('td').allTextContents()).map((t) => t.trim());
    if (cells[4] !== 'PPC-2026-0001') throw new Error(`row: ${JSON.stringify(cells)}`);
    await until(async () => (await page.locator('#timeline tbody tr').count()) > rows,
      'a new timeline entry');
    await until(async () => /appi_final/.test(await page.locator(
      `#incident-list tr[data-incident="${incidentId}"] td.next-due`).textContent()),
      'the list\'s next report: appi_final');
  });
  const prevention = '権限の見直しと監視の強化 (RP-0042) <b>not bold</b>';
  await check('a narrative field is saved and kept after a reload', async () => {
    await page.locator('#narrative-recurrence_prevention').fill(prevention);
    await page.locator('#save-narrative').click();
    await until(async () => (await page.locator('#notice').count()) > 0 &&
      /narrative saved/.test(await text('#notice')), 'the "narrative saved" notice');
    await page.reload({ waitUntil: 'load' });
    await page.locator('#narrative-recurrence_prevention').waitFor({ timeout: kWait });
    await until(async () =>
      (await page.locator('#narrative-recurrence_prevention').inputValue()) === prevention,
      'the narrative after the reload');
  });
  await check('the preliminary report\'s draft (ja, html) opens from a blob: URL', async () => {
    const [popup] = await Promise.all([
      context.waitForEvent('page', { timeout: kWait }),
      preliminary.locator('button.draft-ja').click(),
    ]);
    await popup.waitForLoadState('load');
    const url = popup.url();
    const body = (await popup.locator('body').textContent({ timeout: kWait })).trim();
    await popup.close();
    if (!url.startsWith('blob:')) throw new Error(`opened ${url}`);
    if (!body.includes(prevention)) {
      throw new Error(`the draft lacks the narrative: ${body.slice(0, 200)}`);
    }
  });
  await check('the nav leads back to the audit page with the same token', async () => {
    await Promise.all([page.waitForURL(/\/console\/audit$/), page.locator('#nav-audit').click()]);
    await page.locator('#incidents').waitFor({ timeout: kWait });
    await until(async () => (await text('#incidents')).includes(incidentId),
      'the incident in the audit report');
  });
  await check('sign out on another page forgets the token too', () => signOut(page));

  // --- what the browser saw ---------------------------------------------------------------
  await checkWhatTheBrowserSaw(b, [['wrong-token', 401], ['forbidden', 403]]);
});

finish();
