// The customer privacy center (docs/privacy-center.md) in headless chromium,
// driven with playwright-core. privacy_test.sh starts the server, imports the
// demo customers, creates a subject whose data nothing keeps any more
// (phone 070-5555-0101) and sets:
//   MAMORI_URL          http://127.0.0.1:PORT
//   MAMORI_TOKEN        a token of a privacy officer (permissions "requests",
//                       "complaints"): the staff side, called with curl
//   MAMORI_AGENT_TOKEN  a token of a call-center agent (for a find by phone)
//   MAMORI_CHROMIUM     the browser (Debian's /usr/bin/chromium)
//   MAMORI_SECRETS      optional: a file to which the request secrets are
//                       written, so that the caller can check its logs
// Prints "ok - ..." / "not ok - ..." per check; exits 1 if any failed.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import {
  check, checkWhatTheBrowserSaw, elementDefined, finish, kWait, required, textIn, until,
  withBrowser,
} from './harness.mjs';

const [base, token, agentToken] = required(
  ['MAMORI_URL', 'MAMORI_TOKEN', 'MAMORI_AGENT_TOKEN'], 'privacy_test.sh');
const executablePath = process.env.MAMORI_CHROMIUM || '/usr/bin/chromium';

// Customer 1 of examples/demo-customers.jsonl, and customer 2.
const taro = { contract: 'MT-0001-0001', phone: '090-1234-5678', birth_date: '1985-04-12' };
const misaki = { contract: 'MT-0001-0002', phone: '080-2345-6789', birth_date: '1992-11-03' };
// The subject privacy_test.sh collected in 2017, whose data nothing keeps.
const gone = { contract: 'MT-0009-0101', phone: '070-5555-0101', birth_date: '1970-01-01' };
// What must never be in a URL or in storage.
const personal = [taro, misaki, gone].flatMap((c) => Object.values(c))
  .concat(['taro.yamada@example.jp', 'complainant@example.jp']);

// The staff side, as an operator's tools would call it: curl with a bearer
// token. Returns {code, body}.
function staff(method, path, body, bearer = token) {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method,
    '-H', `Authorization: Bearer ${bearer}`, '--max-time', '60'];
  if (body !== undefined) {
    args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
  }
  args.push(`${base}${path}`);
  const out = execFileSync('curl', args, { encoding: 'utf8' });
  const cut = out.lastIndexOf('\n');
  const code = Number(out.slice(cut + 1));
  let json;
  try {
    json = JSON.parse(out.slice(0, cut));
  } catch {
    json = out.slice(0, cut);
  }
  return { code, body: json };
}
// The status of a staff answer (GET/POST /v1/requests/{id}...): {"request": FULL, "status"}.
const staffStatus = (body) => body?.status ?? body?.request?.status;
function staffStep(id, step) {
  const r = staff('POST', `/v1/requests/${id}/${step}`, {});
  if (r.code !== 200) throw new Error(`${step}: HTTP ${r.code} ${JSON.stringify(r.body)}`);
  return r.body;
}

// The request secrets shown to the customer, to look for where they must not be.
const secrets = [];

// A customer in Japan, whose browser speaks Japanese.
await withBrowser({
  base, executablePath, whyLines: 8,
  context: { timezoneId: 'Asia/Tokyo', locale: 'ja-JP', acceptDownloads: true },
}, async (b) => {
  const { page, responses } = b;
  // Every request the page makes, with its method, headers and body.
  const requests = [];
  page.on('request', (request) => requests.push({
    url: request.url(), method: request.method(), headers: request.headers(),
    body: request.postData() ?? '',
  }));
  // Console errors and warnings are kept by phase (b.phase): the
  // wrong-secret step expects the browser's own "Failed to load resource ...
  // 404" line, the rate-limit step its 429 line, and nothing else.
  const text = textIn(page);
  const posts = (path) => requests.filter((r) => r.method === 'POST' &&
    new URL(r.url).pathname === path);

  // --- the page and its headers ------------------------------------------------------
  const answer = await page.goto(`${base}/privacy`, { waitUntil: 'load' });
  const headers = answer ? answer.headers() : {};
  await check('GET /privacy is 200 text/html', () =>
    answer.status() === 200 && /^text\/html; charset=utf-8$/i.test(headers['content-type']));
  const csp = headers['content-security-policy'] ?? '';
  await check(`the page's CSP is strict (${csp})`, () =>
    /(^|;)\s*default-src 'self'/.test(csp) &&
    /(^|;)\s*script-src 'self'(;|$)/.test(csp) &&
    /(^|;)\s*connect-src 'self'/.test(csp) &&
    /form-action 'none'/.test(csp) &&
    /frame-ancestors 'none'/.test(csp) &&
    !/unsafe-eval/.test(csp));
  await check('the page has nosniff, no-referrer and no-cache', () =>
    headers['x-content-type-options'] === 'nosniff' &&
    headers['referrer-policy'] === 'no-referrer' && /no-cache/.test(headers['cache-control']));
  await check('the element is defined (the script ran under the CSP)', () =>
    elementDefined(page, 'mamori-privacy'));
  await check('the script is served as JavaScript with the same headers', () => {
    const r = responses.get('/privacy/assets/privacy.js');
    if (!r) throw new Error('no answer for /privacy/assets/privacy.js');
    const h = r.headers();
    return r.status() === 200 && /^text\/javascript/.test(h['content-type']) &&
      h['content-security-policy'] === csp && h['x-content-type-options'] === 'nosniff';
  });
  await check('Japanese by default: <html lang="ja"> and the Japanese heading', async () => {
    await page.locator('#title').waitFor({ timeout: kWait });
    return (await page.evaluate(() => document.documentElement.lang)) === 'ja' &&
      (await text('#title')) === 'プライバシーセンター';
  });

  // --- what the operator announces -------------------------------------------------------
  b.phase = 'about';
  let center = {};
  await check('the privacy center: the operator, from /v1/public/privacy-center', async () => {
    await page.locator('#operator-name, #error').first().waitFor({ timeout: kWait });
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${await text('#error')}`);
    }
    const r = responses.get('/v1/public/privacy-center');
    center = await r.json();
    return (await text('#operator-name')) === '株式会社みらいテレコム' && r.status() === 200;
  });
  await check('the seven kinds of request, each with its article and days', async () => {
    const kinds = await page.locator('#request-kinds tbody tr').evaluateAll((rows) =>
      rows.map((r) => r.dataset.kind));
    const want = ['purpose_notice', 'disclosure', 'correction', 'addition', 'deletion',
      'stop_use', 'stop_provision'];
    if (want.some((k) => !kinds.includes(k))) throw new Error(`kinds: ${kinds}`);
    const days = await page.locator('#request-kinds tbody tr td:nth-child(3)').allTextContents();
    return days.every((d) => /\d+ 日以内/.test(d));
  });
  await check('the fee and the security measures are shown', async () =>
    (await text('#fee')).length > 0 &&
    (await page.locator('#security-measures li').count()) >= 1);
  await check('a service\'s notice: its purposes, categories and joint use', async () => {
    await page.locator('button.service[data-service="mobile"]').click();
    await page.locator('#notice[data-service="mobile"] #notice-purposes tbody tr')
      .first().waitFor({ timeout: kWait });
    const purposes = await page.locator('#notice-purposes tbody tr').count();
    const marketing = await text('#notice-purposes tr[data-purpose="dpv:Marketing"]');
    return purposes >= 5 && /商品・サービスのご案内/.test(marketing) &&
      (await page.locator('#notice-categories li').count()) >= 5 &&
      (await page.locator('#notice .joint-use').count()) >= 1 &&
      (await page.locator('button.service[data-service="mobile"]')
        .getAttribute('aria-expanded')) === 'true';
  });

  // --- the request form --------------------------------------------------------------------
  b.phase = 'request-form';
  const required = (center.verification ?? []).map(String);
  await check('the request form: every input and select has a label', async () => {
    await page.locator('#tab-request').click();
    await page.locator('#request-form').waitFor({ timeout: kWait });
    const unlabelled = await page.locator('mamori-privacy').evaluate((host) => {
      const root = host.shadowRoot;
      return [...root.querySelectorAll('input, select, textarea')]
        .filter((el) => !el.id || !root.querySelector(`label[for="${el.id}"]`))
        .map((el) => el.id || el.name || el.outerHTML);
    });
    if (unlabelled.length) throw new Error(`unlabelled: ${unlabelled.join(', ')}`);
  });
  await check(`the policy's factors are marked required (${required.join(', ') || 'none'})`,
    async () => {
      for (const id of ['phone', 'email', 'contract', 'name', 'birth_date']) {
        const want = required.includes(id) ? 'true' : 'false';
        const got = await page.locator(`#id-${id}`).getAttribute('aria-required');
        if (got !== want) throw new Error(`#id-${id}: aria-required=${got}`);
      }
    });
  await check('the kind decides the fields: value for a correction, erase for stop_use', async () => {
    await page.locator('#req-kind').selectOption('correction');
    await page.locator('#req-value').waitFor({ timeout: kWait });
    await page.locator('#req-kind').selectOption('stop_use');
    await page.locator('#req-erase').waitFor({ timeout: kWait });
    const purposes = await page.locator('#req-purpose option').count();
    await page.locator('#req-kind').selectOption('stop_provision');
    await page.locator('#req-recipient').waitFor({ timeout: kWait });
    await page.locator('#req-kind').selectOption('deletion');
    await page.locator('#req-category').waitFor({ timeout: kWait });
    return (await page.locator('#req-value').count()) === 0 && purposes > 1;
  });
  await check('an agent: kind, name and contact appear when asked for', async () => {
    await page.locator('#agent-toggle').check();
    await page.locator('#agent-kind').waitFor({ timeout: kWait });
    const kinds = await page.locator('#agent-kind option').evaluateAll((os) =>
      os.map((o) => o.value));
    await page.locator('#agent-toggle').uncheck();
    await page.locator('#agent').waitFor({ state: 'detached', timeout: kWait });
    return kinds.join() === 'legal_representative,authorized_proxy';
  });
  await check('a request without identifiers is not sent and says why (role=alert)', async () => {
    const before = posts('/v1/public/requests').length;
    await page.locator('#req-submit').click();
    await page.locator('#error').waitFor({ timeout: kWait });
    const role = await page.locator('#error').evaluate((el) => el.closest('[role=alert]') !== null);
    return role && posts('/v1/public/requests').length === before;
  });
  // fill(CUSTOMER): types the identifiers (and nothing else) into the form.
  const fill = async (customer) => {
    for (const [id, value] of Object.entries(customer)) {
      await page.locator(`#id-${id}`).fill(value);
    }
  };

  // --- a disclosure request, followed to its download -------------------------------------
  b.phase = 'disclosure';
  let disclosure = { id: '', secret: '' };
  await check('customer 1 sends a disclosure request: id, secret (once) and due', async () => {
    await page.locator('#req-kind').selectOption('disclosure');
    await fill(taro);
    await page.locator('#req-details').fill('電子データでの開示を希望します。');
    await page.locator('#req-submit').click();
    await page.locator('#receipt, #error').first().waitFor({ timeout: kWait });
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${await text('#error')}`);
    }
    disclosure = { id: await text('#receipt-id'), secret: await text('#receipt-secret') };
    secrets.push(disclosure.secret);
    const due = await page.locator('#receipt-due').getAttribute('datetime');
    const keep = await text('#keep-secret');
    if (!/^req_/.test(disclosure.id) || disclosure.secret.length < 8) {
      throw new Error(`receipt: ${JSON.stringify(disclosure)}`);
    }
    return !Number.isNaN(Date.parse(due)) && /控えて/.test(keep) &&
      /まで/.test(await text('#receipt-due'));
  });
  await check('the request went as a JSON body, with the right fields', async () => {
    const sent = posts('/v1/public/requests').at(-1);
    const body = JSON.parse(sent.body);
    return new URL(sent.url).search === '' && body.kind === 'disclosure' &&
      body.language === 'ja' && body.identifiers.contract === taro.contract &&
      body.identifiers.phone === taro.phone && body.identifiers.birth_date === taro.birth_date &&
      body.agent === undefined && body.category === undefined &&
      /^application\/json/.test(sent.headers['content-type']);
  });
  await check('the form is emptied once sent', async () =>
    (await page.locator('#id-phone').inputValue()) === '' &&
    (await page.locator('#id-contract').inputValue()) === '');
  await check('"follow this request": received, not yet verified', async () => {
    await page.locator('#follow').click();
    await page.locator('#request-status').waitFor({ timeout: kWait });
    return (await page.locator('#status-status').getAttribute('data-status')) === 'received' &&
      (await page.locator('#status-verification').getAttribute('data-verification')) ===
        'unverified' &&
      (await page.locator('#download-html').count()) === 0 &&
      (await page.locator('#withdraw').count()) === 1;
  });
  await check('the secret went only in the X-Request-Secret header', () => {
    const lookups = requests.filter((r) => r.url.includes(disclosure.id));
    if (!lookups.length) throw new Error('no status request');
    return lookups.every((r) => r.headers['x-request-secret'] === disclosure.secret &&
      !r.url.includes(disclosure.secret));
  });
  await check('staff verify (verified) and approve (completed) it with curl', async () => {
    const verified = staffStep(disclosure.id, 'verify');
    // `verification` is "verified", or an object whose status says so.
    if (!/"(verification|status|result|state)":"verified"/.test(JSON.stringify(verified))) throw new Error(`verify: ${JSON.stringify(verified).slice(0, 400)}`);
    const approved = staffStep(disclosure.id, 'approve');
    if (staffStatus(approved) !== 'completed') {
      throw new Error(`approve: ${JSON.stringify(approved).slice(0, 400)}`);
    }
  });
  await check('the customer sees "completed", verified, with a download', async () => {
    await page.locator('#refresh').click();
    await until(async () =>
      (await page.locator('#status-status').getAttribute('data-status')) === 'completed',
    'the status "completed"');
    return (await page.locator('#status-verification').getAttribute('data-verification')) ===
      'verified' && (await page.locator('#download-html').count()) === 1 &&
      (await page.locator('#withdraw').count()) === 0 &&
      /完了/.test(await text('#status-status'));
  });
  for (const format of ['html', 'json']) {
    await check(`the disclosure downloads (${format}) with the customer's data`, async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: kWait }),
        page.locator(`#download-${format}`).click(),
      ]);
      const url = download.url();
      const content = readFileSync(await download.path(), 'utf8');
      if (!url.startsWith('blob:')) throw new Error(`downloaded from ${url}`);
      if (!content.includes('taro.yamada@example.jp')) {
        throw new Error(`the ${format} lacks the email: ${content.slice(0, 300)}`);
      }
      if (format === 'json') JSON.parse(content);
      if (format === 'html' && !/<html/i.test(content)) throw new Error('not an HTML page');
      const fetched = requests.filter((r) =>
        new URL(r.url).pathname === `/v1/public/requests/${disclosure.id}/result`).at(-1);
      return new URL(fetched.url).searchParams.get('format') === format &&
        fetched.headers['x-request-secret'] === disclosure.secret;
    });
  }

  // --- a wrong secret -----------------------------------------------------------------------
  b.phase = 'wrong-secret';
  await check('a wrong secret shows "not found", as an alert, and nothing else', async () => {
    await page.locator('#status-done').click();
    await page.locator('#request-status').waitFor({ state: 'detached', timeout: kWait });
    await page.locator('#status-id').fill(disclosure.id);
    await page.locator('#status-secret').fill('not-the-secret');
    await page.locator('#status-submit').click();
    await page.locator('#error').waitFor({ timeout: kWait });
    return /正しくない/.test(await text('#error')) &&
      (await page.locator('#request-status').count()) === 0;
  });

  // --- a request withdrawn ------------------------------------------------------------------
  b.phase = 'withdraw';
  let withdrawn = { id: '', secret: '' };
  await check('customer 2 asks for a purpose notice, as an authorized proxy', async () => {
    await page.locator('#tab-request').click();
    await page.locator('#req-kind').selectOption('purpose_notice');
    await fill(misaki);
    await page.locator('#agent-toggle').check();
    await page.locator('#agent-kind').selectOption('authorized_proxy');
    await page.locator('#agent-name').fill('代理 一郎');
    await page.locator('#agent-contact').fill('03-0000-0000');
    await page.locator('#req-submit').click();
    await page.locator('#receipt-id').waitFor({ timeout: kWait });
    await until(async () => (await text('#receipt-id')) !== disclosure.id, 'a new receipt');
    withdrawn = { id: await text('#receipt-id'), secret: await text('#receipt-secret') };
    secrets.push(withdrawn.secret);
    const body = JSON.parse(posts('/v1/public/requests').at(-1).body);
    return body.agent?.kind === 'authorized_proxy' && body.agent?.name === '代理 一郎';
  });
  await check('typed in on the status page, it can be withdrawn (after a confirmation)',
    async () => {
      await page.locator('#tab-status').click();
      await page.locator('#status-id').fill(withdrawn.id);
      await page.locator('#status-secret').fill(withdrawn.secret);
      await page.locator('#status-secret').press('Enter');
      await until(async () => (await page.locator(
        `#request-status[data-request="${withdrawn.id}"]`).count()) === 1, 'the status');
      await page.locator('#withdraw').click();
      await page.locator('#withdraw-confirm').click();
      await until(async () =>
        (await page.locator('#status-status').getAttribute('data-status')) === 'withdrawn',
      'the status "withdrawn"');
      return (await page.locator('#withdraw').count()) === 0;
    });

  // --- a deletion: afterwards nobody finds the subject ---------------------------------------
  b.phase = 'deletion';
  let deletion = { id: '', secret: '' };
  await check('a deletion request for the subject collected in 2017', async () => {
    await page.locator('#tab-request').click();
    await page.locator('#req-kind').selectOption('deletion');
    await fill(gone);
    await page.locator('#req-details').fill('登録されている情報は誤りです。削除してください。');
    await page.locator('#req-submit').click();
    await until(async () => (await page.locator('#receipt-id').count()) === 1 &&
      (await text('#receipt-id')) !== withdrawn.id, 'a new receipt');
    deletion = { id: await text('#receipt-id'), secret: await text('#receipt-secret') };
    secrets.push(deletion.secret);
    const body = JSON.parse(posts('/v1/public/requests').at(-1).body);
    return body.kind === 'deletion' && body.category === undefined && body.value === undefined;
  });
  await check('staff verify and approve the deletion with curl: completed', async () => {
    staffStep(deletion.id, 'verify');
    const approved = staffStep(deletion.id, 'approve');
    if (staffStatus(approved) !== 'completed') {
      throw new Error(`approve: ${JSON.stringify(approved).slice(0, 600)}`);
    }
  });
  await check('the customer sees the deletion completed, nothing kept', async () => {
    await page.locator('#follow').click();
    await until(async () =>
      (await page.locator('#status-status').getAttribute('data-status')) === 'completed',
    'the status "completed"');
    const kept = await page.locator('#status-kept tbody tr').count();
    if (kept) throw new Error(`kept: ${await text('#status-kept')}`);
    return (await page.locator('#status-outcome').count()) === 1;
  });
  await check('afterwards, a find by the subject\'s phone finds nothing', () => {
    const r = staff('POST', '/v1/find', { purpose: 'dpv:CustomerCare', phone: gone.phone },
      agentToken);
    if (r.code === 404) return true;
    if (r.code !== 200) throw new Error(`find: HTTP ${r.code} ${JSON.stringify(r.body)}`);
    const found = r.body?.subjects ?? [];
    if (found.length) throw new Error(`found: ${JSON.stringify(found)}`);
  });

  // --- a complaint ----------------------------------------------------------------------------
  b.phase = 'complaint';
  let complaint = '';
  await check('a complaint sent from the page shows its id and first-response due', async () => {
    await page.locator('#tab-complaint').click();
    await page.locator('#cmp-service').selectOption('mobile');
    await page.locator('#cmp-category').selectOption('marketing');
    await page.locator('#cmp-text').fill('同意していない広告メールが届きます。<b>停止</b>してください。');
    await page.locator('#cmp-contact').fill('complainant@example.jp');
    await page.locator('#cmp-submit').click();
    await page.locator('#complaint-id, #error').first().waitFor({ timeout: kWait });
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${await text('#error')}`);
    }
    complaint = await text('#complaint-id');
    const due = await page.locator('#complaint-due').getAttribute('datetime');
    const body = JSON.parse(posts('/v1/public/complaints').at(-1).body);
    return /^cmp_/.test(complaint) && !Number.isNaN(Date.parse(due)) &&
      body.service === 'mobile' && body.category === 'marketing' && body.language === 'ja' &&
      (await page.locator('#cmp-text').inputValue()) === '';
  });
  await check('staff assign and answer the complaint with curl (200)', () => {
    const assigned = staff('POST', `/v1/complaints/${complaint}/assign`,
      { assignee: 'emp:officer' });
    const answered = staff('POST', `/v1/complaints/${complaint}/respond`,
      { response: '広告メールの配信を停止しました。' });
    if (assigned.code !== 200 || answered.code !== 200) {
      throw new Error(`assign ${assigned.code}, respond ${answered.code}: ` +
        JSON.stringify(answered.body).slice(0, 300));
    }
    const c = answered.body?.complaint ?? answered.body;
    return c.status === 'responded' && c.text.includes('<b>停止</b>');
  });

  // --- too many requests ------------------------------------------------------------------------
  // Last of the requests sent: the limiter may count per address as well.
  b.phase = 'rate-limit';
  await check('too many requests for the same identifiers: 429, and when to retry', async () => {
    await page.locator('#tab-request').click();
    for (let i = 0; i < 8; i++) {
      await page.locator('#req-kind').selectOption('purpose_notice');
      await fill(misaki);
      const before = posts('/v1/public/requests').length;
      await page.locator('#req-submit').click();
      await until(async () => posts('/v1/public/requests').length > before &&
        !(await page.locator('#req-submit').isDisabled()), 'the answer');
      if (await page.locator('#error').count()) break;
      secrets.push(await text('#receipt-secret'));
    }
    await page.locator('#error').waitFor({ timeout: kWait });
    const shown = await text('#error');
    const r = responses.get('/v1/public/requests');
    if (r.status() !== 429) throw new Error(`HTTP ${r.status()}: ${shown}`);
    const after = Number(r.headers()['retry-after']);
    if (!(after > 0)) throw new Error(`Retry-After: ${r.headers()['retry-after']}`);
    return /以降（約 \d+ 分後）に再度お試しください/.test(shown) && /rate_limited/.test(shown);
  });

  // --- English --------------------------------------------------------------------------------
  b.phase = 'english';
  await check('switching to English changes the heading and <html lang>', async () => {
    await page.locator('#lang-toggle').click();
    await until(async () => (await text('#title')) === 'Privacy center', 'the English heading');
    return (await page.evaluate(() => document.documentElement.lang)) === 'en' &&
      (await text('#request-heading')) === 'Make a request';
  });
  await check('the operator\'s texts come in English (privacy-center?lang=en)', async () => {
    await page.locator('#tab-about').click();
    await until(async () => (await page.locator('#operator-name').count()) === 1 &&
      (await text('#operator-name')) === 'Mirai Telecom Co., Ltd.', 'the English name');
    return requests.some((r) => /\/v1\/public\/privacy-center\?lang=en$/.test(r.url));
  });
  await check('the choice is kept for the tab (sessionStorage), across a reload', async () => {
    await page.reload({ waitUntil: 'load' });
    await until(async () => (await page.locator('#title').count()) === 1 &&
      (await text('#title')) === 'Privacy center', 'the English heading after a reload');
    const stored = await page.evaluate(() => ({ ...sessionStorage }));
    return JSON.stringify(stored) === JSON.stringify({ 'mamori.privacy.lang': 'en' });
  });
  await check('the keyboard reaches the tabs and the language switch', async () => {
    await page.locator('#lang-toggle').focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() =>
      document.querySelector('mamori-privacy').shadowRoot.activeElement?.id);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#request-form').waitFor({ timeout: kWait });
    return focused === 'tab-about';
  });

  // --- what the browser saw -------------------------------------------------------------------
  await check('no secret and no personal data in any URL, the address bar or storage', async () => {
    const urls = requests.map((r) => decodeURIComponent(r.url)).concat([page.url()]);
    const leaks = urls.filter((u) => secrets.some((s) => s && u.includes(s)) ||
      personal.some((p) => u.includes(p)));
    if (leaks.length) throw new Error(`in URLs: ${leaks.join('\n')}`);
    const stored = await page.evaluate(() =>
      JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie);
    const inStore = secrets.concat(personal).filter((s) => s && stored.includes(s));
    if (inStore.length) throw new Error(`stored: ${inStore.join(', ')}`);
    return (await page.evaluate(() => localStorage.length)) === 0;
  });
  await checkWhatTheBrowserSaw(b, [['wrong-secret', 404], ['rate-limit', 429]]);
  await check('the page called /v1/public/... only (no staff route)', () => {
    const staffCalls = requests.filter((r) => {
      const path = new URL(r.url).pathname;
      return path.startsWith('/v1/') && !path.startsWith('/v1/public/');
    });
    if (staffCalls.length) throw new Error(staffCalls.map((r) => r.url).join('\n'));
  });
}).finally(() => {
  // The request secrets, for privacy_test.sh to look for in the server's logs.
  if (process.env.MAMORI_SECRETS) {
    appendFileSync(process.env.MAMORI_SECRETS, secrets.map((x) => `${x}\n`).join(''));
  }
});

finish();
