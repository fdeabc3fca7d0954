// The staff console's customer request, complaint and lookup pages
// (docs/console.md) in headless chromium, driven with playwright-core.
// staff_test.sh starts the server with the demo customers and sets:
//   MAMORI_URL          http://127.0.0.1:PORT
//   MAMORI_TOKEN        a token of a privacy officer (requests, complaints)
//   MAMORI_AGENT_TOKEN  a token of a call-center agent (no requests
//                       permission; the purposes dpv:CustomerCare and
//                       dpv:PaymentManagement)
//   MAMORI_REQUEST      customer 1's disclosure request (received)
//   MAMORI_REQUEST2     customer 1's correction request (received)
//   MAMORI_REQUEST3     customer 1's stop_provision request (received)
//   MAMORI_COMPLAINT    a complaint (received)
//   MAMORI_CHROMIUM     the browser (Debian's /usr/bin/chromium)
// Prints "ok - ..." / "not ok - ..." per check; exits 1 if any failed.
import {
  check, checkWhatTheBrowserSaw, elementDefined, finish, kWait, navMarks, required,
  signOut as signOutOf, textIn, until, withBrowser,
} from './harness.mjs';

const [base, token, agentToken, request1, request2, request3, complaint] = required(
  ['MAMORI_URL', 'MAMORI_TOKEN', 'MAMORI_AGENT_TOKEN', 'MAMORI_REQUEST', 'MAMORI_REQUEST2',
    'MAMORI_REQUEST3', 'MAMORI_COMPLAINT'], 'staff_test.sh');
const executablePath = process.env.MAMORI_CHROMIUM || '/usr/bin/chromium';
const kPhone = '090-1234-5678';
const kEmail = 'taro.yamada@example.jp';

await withBrowser({
  base, executablePath, context: { timezoneId: 'Asia/Tokyo', locale: 'ja-JP' },
}, async (b) => {
  const { page, urls: requests } = b;
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push({ path: new URL(r.url()).pathname, body: r.postData() });
  });

  const text = textIn(page, true);
  const noError = async () => {
    if (await page.locator('#error').count()) {
      throw new Error(`the page shows: ${(await page.locator('#error').textContent()).trim()}`);
    }
  };
  // Every input, select and textarea of the page's element has a label, and
  // every table has header cells.
  const accessible = (element) => page.evaluate((name) => {
    const root = document.querySelector(name).shadowRoot;
    const unlabelled = [...root.querySelectorAll('input, select, textarea')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
      .map((e) => e.id || e.name || e.outerHTML.slice(0, 60));
    const headless = [...root.querySelectorAll('table')]
      .filter((t) => t.querySelectorAll('th').length === 0).length;
    if (unlabelled.length || headless) {
      throw new Error(`unlabelled: ${unlabelled.join(', ')}; tables without headers: ${headless}`);
    }
    return true;
  }, element);
  const signIn = async (value, ready) => {
    await page.locator('#token').waitFor({ timeout: kWait });
    await page.locator('#token').fill(value);
    await page.locator('#sign-in').click();
    await page.locator(`${ready}, #error`).first().waitFor({ timeout: kWait });
  };
  const signOut = () => signOutOf(page);

  // --- the requests page --------------------------------------------------------------
  const answer = await page.goto(`${base}/console/requests`, { waitUntil: 'load' });
  const headers = answer ? answer.headers() : {};
  await check('GET /console/requests is 200 text/html under the strict CSP', () =>
    answer.status() === 200 && /^text\/html/.test(headers['content-type']) &&
    /(^|;)\s*script-src 'self'(;|$)/.test(headers['content-security-policy'] ?? '') &&
    headers['x-content-type-options'] === 'nosniff');
  await check('the element is defined (the script ran under the CSP)', () =>
    elementDefined(page, 'mamori-requests'));
  await check('the nav links the six pages, the current one marked', () =>
    navMarks(page, 'requests'));
  await check('the page asks for a token of the requests permission', async () => {
    await page.locator('#token').waitFor({ timeout: kWait });
    return (await page.locator('#token').getAttribute('type')) === 'password' &&
      /requests/.test(await text('#login label'));
  });

  // Console errors and warnings by phase (b.phase): a phase that
  // asks for an error answer expects the browser's own "Failed to load
  // resource" line for it.
  b.phase = 'forbidden';
  await check('the call-center agent\'s token gets the API\'s 403 message', async () => {
    await signIn(agentToken, '#request-list');
    await page.locator('#error').waitFor({ timeout: kWait });
    const shown = await text('#error');
    if (!/forbidden/.test(shown) || !/requests/.test(shown)) throw new Error(`shown: ${shown}`);
    return (await page.locator('#error').getAttribute('role')) === 'alert' &&
      (await page.locator('#request-list').count()) === 0;
  });
  await check('sign out forgets that token', signOut);

  b.phase = 'queue';
  // The queue's first answer, with customer 1's disclosure marked overdue:
  // a request received now is due in 14 days, so the page's rendering of an
  // overdue row is checked on the server's real answer with that one flag
  // changed.
  await page.route(/\/v1\/requests$/, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const r of body.requests ?? []) if (r.id === request1) r.overdue = true;
    await route.fulfill({ response, json: body });
  }, { times: 1 });
  await check('the privacy officer\'s token opens the queue', async () => {
    await signIn(token, '#request-list');
    await noError();
  });
  const row1 = page.locator(`#request-list tr[data-request="${request1}"]`);
  const row2 = page.locator(`#request-list tr[data-request="${request2}"]`);
  await check('the queue lists the three requests, received, with due times', async () => {
    await row1.waitFor({ timeout: kWait });
    const cells = (await row1.locator('td').allTextContents()).map((t) => t.trim());
    if (cells[1] !== 'disclosure' || cells[2] !== 'received' ||
        !/^\d{4}-\d{2}-\d{2} /.test(cells[5])) {
      throw new Error(`row: ${JSON.stringify(cells)}`);
    }
    return (await row2.count()) === 1 &&
      (await page.locator(`#request-list tr[data-request="${request3}"]`).count()) === 1;
  });
  await check('an overdue request is highlighted and says "overdue" in words', async () =>
    /\boverdue\b/.test(await row1.getAttribute('class')) &&
    /overdue/.test(await row1.locator('td.due').textContent()) &&
    !/overdue/.test(await row2.locator('td.due').textContent()));
  await check('the queue has no identifier values', async () =>
    !(await page.locator('#request-list').textContent()).includes(kPhone));
  await check('filter "overdue only" asks the server (overdue=true): none is', async () => {
    await page.locator('#filter-overdue').check();
    await until(() => requests.some((u) => /\/v1\/requests\?overdue=true$/.test(u)),
      'a query with overdue=true');
    await page.locator('#queue-empty').waitFor({ timeout: kWait });
  });
  await check('filter kind=disclosure lists the disclosure only', async () => {
    await page.locator('#filter-overdue').uncheck();
    await page.locator('#filter-kind').selectOption('disclosure');
    await until(() => requests.some((u) => /\/v1\/requests\?kind=disclosure$/.test(u)),
      'a query with kind=disclosure');
    await until(async () => (await page.locator('#request-list tbody tr').count()) === 1 &&
      (await row1.count()) === 1, 'one row');
    await page.locator('#filter-kind').selectOption('');
    await until(async () => (await page.locator('#request-list tbody tr').count()) === 3,
      'the three rows again');
  });

  // --- customer 1's disclosure --------------------------------------------------------
  b.phase = 'disclosure';
  await check('opening a request shows its detail (address ?request=ID)', async () => {
    await row1.locator('button.link').click();
    await page.locator('#request-detail').waitFor({ timeout: kWait });
    return new URL(page.url()).searchParams.get('request') === request1 &&
      (await text('#detail-id')) === request1 && (await text('#detail-status')) === 'received';
  });
  await check('the detail shows what the customer gave, markup as text', async () => {
    const identifiers = await text('#identifiers');
    const details = await text('#detail-details');
    return identifiers.includes('MT-0001-0001') && identifiers.includes(kPhone) &&
      identifiers.includes('1985-04-12') && details.includes('<b>test</b>') &&
      (await page.locator('#detail-details b').count()) === 0;
  });
  await check('the detail shows the verification (unverified), due time and no extension',
    async () => (await text('#detail-verification')) === 'unverified' &&
      /^\d{4}-\d{2}-\d{2} /.test(await text('#detail-due')) &&
      /none/.test(await text('#extensions')));
  await check('a disclosure may be refused on the disclosure grounds or not_verified', async () => {
    const grounds = await page.locator('#refuse-ground option').evaluateAll((os) =>
      os.map((o) => o.value));
    const expected = ['harm_to_person_or_others', 'business_hindrance', 'other_law',
      'not_verified'];
    if (JSON.stringify(grounds) !== JSON.stringify(expected)) {
      throw new Error(`grounds: ${grounds}`);
    }
  });
  await check('the ledger trail shows the request received, with entry numbers', async () => {
    await page.locator('#trail tbody tr').first().waitFor({ timeout: kWait });
    return /^\d+$/.test((await page.locator('#trail tbody tr td').first().textContent()).trim());
  });
  await check('every input has a label, every table headers', () => accessible('mamori-requests'));
  const trailRows = () => page.locator('#trail tbody tr').count();
  await check('assign: the request is assigned to the officer', async () => {
    await page.locator('#assignee').fill('emp:officer');
    await page.locator('#assign button[type=submit]').click();
    await until(async () => (await text('#detail-assignee')) === 'emp:officer', 'the assignee');
    await noError();
    await until(async () => (await row1.locator('td').nth(6).textContent()).trim() ===
      'emp:officer', 'the queue\'s assignee');
  });
  await check('verify: the requester is verified as a subject', async () => {
    const before = await trailRows();
    await page.locator('#verify').click();
    await until(async () => (await text('#detail-verification')) === 'verified',
      'verified');
    await noError();
    await until(async () => (await trailRows()) > before, 'a new trail entry');
    return /^sub_/.test(await text('#detail-subject')) || (await text('#detail-subject')) !== '—';
  });
  await check('verified: not_verified is no longer a ground', async () => {
    const grounds = await page.locator('#refuse-ground option').evaluateAll((os) =>
      os.map((o) => o.value));
    return !grounds.includes('not_verified');
  });
  await check('approve: the disclosure is executed and completed', async () => {
    await page.locator('#approve').click();
    await until(async () => (await text('#detail-status')) === 'completed', 'completed');
    await noError();
    return (await page.locator('#actions').count()) === 0;
  });
  await check('the outcome is shown', async () => (await page.locator('#outcome').count()) === 1);
  await check('the result document (the disclosure) is rendered and holds the email', async () => {
    await page.locator('#result-document').waitFor({ timeout: kWait });
    const shown = await text('#result-document');
    if (!shown.includes(kEmail)) throw new Error(`result: ${shown.slice(0, 300)}`);
    return (await page.locator('#result-document table, #result-document dl').count()) > 0;
  });
  await check('the queue shows it completed', async () => {
    await until(async () => (await row1.locator('td.status').textContent()).trim() ===
      'completed', 'completed in the queue');
  });
  await check('a reload keeps the request selected', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.locator('#request-detail').waitFor({ timeout: kWait });
    await until(async () => (await text('#detail-status')) === 'completed', 'completed');
  });

  // --- customer 1's correction: extended, then refused -------------------------------------
  b.phase = 'correction';
  await check('the correction request: its grounds are data_correct or not_verified', async () => {
    await row2.locator('button.link').click();
    await until(async () => (await text('#detail-id')) === request2, 'the second request');
    const grounds = await page.locator('#refuse-ground option').evaluateAll((os) =>
      os.map((o) => o.value));
    if (JSON.stringify(grounds) !== JSON.stringify(['data_correct', 'not_verified'])) {
      throw new Error(`grounds: ${grounds}`);
    }
    const given = await text('#given');
    return given.includes('pd:EmailAddress') && given.includes('taro.new@example.jp');
  });
  let dueBefore = '';
  await check('extend: 7 days with a reason and a notice; the due time moves', async () => {
    dueBefore = await text('#detail-due');
    await page.locator('#extend-days').fill('7');
    await page.locator('#extend-reason').fill('調査に時間を要するため');
    await page.locator('#extend-notice').fill('回答期限を7日延長します');
    await page.locator('#extend button[type=submit]').click();
    await until(async () => (await page.locator('#extensions tbody tr').count()) === 1,
      'one extension');
    await noError();
    const cells = (await page.locator('#extensions tbody tr td').allTextContents())
      .map((t) => t.trim());
    if (cells[0] !== '7' || cells[1] !== '調査に時間を要するため') {
      throw new Error(`extension: ${JSON.stringify(cells)}`);
    }
    const after = await text('#detail-due');
    return after !== dueBefore && after > dueBefore;
  });
  await check('refuse: data_correct with the reasons notified', async () => {
    await page.locator('#refuse-ground').selectOption('data_correct');
    await page.locator('#refuse-text').fill('調査の結果、登録内容は正しいことを確認しました');
    await page.locator('#refuse button[type=submit]').click();
    await until(async () => (await text('#detail-status')) === 'refused', 'refused');
    await noError();
    return /data_correct/.test(await text('#refusal-ground')) &&
      /正しい/.test(await text('#refusal-text')) &&
      (await page.locator('#actions').count()) === 0;
  });

  // --- an illegal step: the stop_provision request refused meanwhile elsewhere -------------
  b.phase = 'conflict';
  await check('a request refused by someone else: verify shows the API\'s 409 in an alert',
    async () => {
      await page.locator(`#request-list tr[data-request="${request3}"] button.link`).click();
      await until(async () => (await text('#detail-id')) === request3, 'the third request');
      const grounds = await page.locator('#refuse-ground option').evaluateAll((os) =>
        os.map((o) => o.value));
      if (JSON.stringify(grounds) !== JSON.stringify(['no_cessation_ground', 'not_verified'])) {
        throw new Error(`grounds: ${grounds}`);
      }
      const other = await fetch(`${base}/v1/requests/${encodeURIComponent(request3)}/refuse`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ground: 'not_verified', text: '本人確認書類の提出がありません' }),
      });
      if (other.status !== 200) throw new Error(`the other refusal: HTTP ${other.status}`);
      await page.locator('#verify').click();
      await page.locator('#error').waitFor({ timeout: kWait });
      const shown = await text('#error');
      if (!/failed_precondition/.test(shown)) throw new Error(`shown: ${shown}`);
      return (await page.locator('#error').getAttribute('role')) === 'alert';
    });

  // --- the complaints page ------------------------------------------------------------------
  b.phase = 'complaints';
  await check('the nav leads to the complaints page with the same token', async () => {
    await Promise.all([page.waitForURL(/\/console\/complaints$/),
      page.locator('#nav-complaints').click()]);
    await page.locator('#complaint-list, #error').first().waitFor({ timeout: kWait });
    await noError();
    return (await page.locator('#nav-complaints').getAttribute('aria-current')) === 'page';
  });
  const complaintRow = page.locator(`#complaint-list tr[data-complaint="${complaint}"]`);
  await check('the complaint is in the queue, received, with its first response due', async () => {
    await complaintRow.waitFor({ timeout: kWait });
    const cells = (await complaintRow.locator('td').allTextContents()).map((t) => t.trim());
    if (cells[2] !== 'marketing' || cells[4] !== 'received' || !/^\d{4}-/.test(cells[5]) ||
        /overdue/.test(cells[5])) {
      throw new Error(`row: ${JSON.stringify(cells)}`);
    }
  });
  await check('its detail shows the text as text (the script in it does not run)', async () => {
    await complaintRow.locator('button.link').click();
    await page.locator('#complaint-detail').waitFor({ timeout: kWait });
    return (await text('#detail-text')).includes('<script>window.pwned = 1</script>') &&
      (await page.evaluate(() => window.pwned)) === undefined &&
      (await text('#detail-contact')) === kEmail;
  });
  await check('every input has a label, every table headers', () =>
    accessible('mamori-complaints'));
  await check('assign: "Assign to me" assigns the complaint to the signed-in officer', async () => {
    await page.locator('#assign-me').click();
    await until(async () => (await text('#detail-status')) === 'assigned', 'assigned');
    await noError();
    return (await text('#detail-assignee')) === 'emp:officer';
  });
  const response = 'ご迷惑をおかけしました。配信を停止しました。';
  await check('respond: the response is recorded', async () => {
    await page.locator('#response').fill(response);
    await page.locator('#respond button[type=submit]').click();
    await until(async () => (await text('#detail-status')) === 'responded', 'responded');
    await noError();
    return (await text('#detail-response')) === response;
  });
  await check('close: the complaint is closed', async () => {
    await page.locator('#close').click();
    await until(async () => (await text('#detail-status')) === 'closed', 'closed');
    await noError();
    await until(async () => (await complaintRow.locator('td.status').textContent()).trim() ===
      'closed', 'closed in the queue');
    return (await page.locator('#actions').count()) === 0;
  });
  await check('filter status=received: the closed complaint is not listed', async () => {
    await page.locator('#filter-status').selectOption('received');
    await until(() => requests.some((u) => /\/v1\/complaints\?status=received$/.test(u)),
      'a query with status=received');
    await until(async () => (await complaintRow.count()) === 0, 'no row');
  });
  await check('sign out', signOut);

  // --- the lookup page: a purpose first ------------------------------------------------------
  b.phase = 'lookup';
  await check('the lookup page asks for a staff token; the agent signs in', async () => {
    await page.goto(`${base}/console/lookup`, { waitUntil: 'load' });
    await signIn(agentToken, '#find');
    await noError();
  });
  await check('nothing can be looked up before a purpose is chosen', async () =>
    (await page.locator('#id-value').isDisabled()) &&
    (await page.locator('#find-button').isDisabled()));
  await check('the purposes are the policy\'s, from the services\' notices', async () => {
    const purposes = await page.locator('#purpose option').evaluateAll((os) =>
      os.map((o) => o.value).filter(Boolean));
    return purposes.includes('dpv:CustomerCare') && purposes.includes('dpv:Marketing') &&
      purposes.includes('mamori:StatutoryPaymentRecord');
  });
  await check('every input has a label, every table headers', () => accessible('mamori-lookup'));
  b.phase = 'denied';
  await check('a find for a purpose the agent\'s role lacks is denied, with its reason code',
    async () => {
      await page.locator('#purpose').selectOption('dpv:Marketing');
      await page.locator('#id-kind').selectOption('phone');
      await page.locator('#id-value').fill(kPhone);
      await page.locator('#find-button').click();
      await page.locator('#denial').waitFor({ timeout: kWait });
      const reason = await text('#denial-reason');
      return reason.length > 1 && reason !== '—' &&
        /denied/.test(await text('#denial-message')) &&
        (await page.locator('#found').count()) === 0;
    });
  b.phase = 'found';
  let subject = '';
  await check('for customer care, the phone number finds customer 1', async () => {
    await page.locator('#purpose').selectOption('dpv:CustomerCare');
    await page.locator('#id-kind').selectOption('phone');
    await page.locator('#id-value').fill(kPhone);
    await page.locator('#find-button').click();
    await page.locator('#found tbody tr').first().waitFor({ timeout: kWait });
    subject = await page.locator('#found tbody tr').first().getAttribute('data-subject');
    return (await page.locator('#found tbody tr').count()) === 1 &&
      (await page.locator('#denial').count()) === 0 && /\S/.test(subject);
  });
  await check('reading the email address shows it', async () => {
    await page.locator('#read input[value="pd:EmailAddress"]').check();
    await page.locator('#read-button').click();
    await page.locator('#values tr[data-category="pd:EmailAddress"]').waitFor({ timeout: kWait });
    await noError();
    return (await page.locator('#values tr[data-category="pd:EmailAddress"] td.value')
      .textContent()).trim() === kEmail;
  });
  await check('the find and the read sent the identifier in the body, never in a URL', () => {
    const find = posts.filter((p) => p.path === '/v1/find');
    const read = posts.filter((p) => p.path === '/v1/read');
    const phone = [kPhone, encodeURIComponent(kPhone), '09012345678'];
    const inUrl = requests.some((u) => phone.some((v) => u.includes(v))) ||
      phone.some((v) => page.url().includes(v));
    return find.length === 2 && JSON.parse(find[1].body).purpose === 'dpv:CustomerCare' &&
      JSON.parse(find[1].body).phone === kPhone && read.length === 1 &&
      JSON.stringify(JSON.parse(read[0].body).categories) === '["pd:EmailAddress"]' && !inUrl;
  });
  await check('a new purpose forgets what was found', async () => {
    await page.locator('#purpose').selectOption('dpv:PaymentManagement');
    await until(async () => (await page.locator('#found, #values').count()) === 0,
      'nothing found shown');
  });
  await check('sign out forgets the token', signOut);

  // --- what the browser saw -----------------------------------------------------------------
  await check('the tokens never went in a URL', () =>
    !requests.some((u) => u.includes(token) || u.includes(agentToken)));
  await checkWhatTheBrowserSaw(b, [['forbidden', 403], ['denied', 403], ['conflict', 409]]);
});

finish();
