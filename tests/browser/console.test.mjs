// The audit dashboard (docs/console.md) in headless chromium, driven with
// playwright-core. console_test.sh starts the server and sets:
//   MAMORI_URL       http://127.0.0.1:PORT
//   MAMORI_TOKEN     a token of a privacy officer (permission "audit")
//   MAMORI_AGENT_TOKEN  a token of a call-center agent (no "audit")
//   MAMORI_CHROMIUM  the browser (Debian's /usr/bin/chromium)
// Prints "ok - ..." / "not ok - ..." per check; exits 1 if any failed.
import { chromium } from 'playwright-core';

const base = process.env.MAMORI_URL;
const token = process.env.MAMORI_TOKEN;
const agentToken = process.env.MAMORI_AGENT_TOKEN;
const executablePath = process.env.MAMORI_CHROMIUM || '/usr/bin/chromium';
if (!base || !token || !agentToken) {
  console.error('set MAMORI_URL, MAMORI_TOKEN and MAMORI_AGENT_TOKEN (console_test.sh does)');
  process.exit(2);
}
const origin = new URL(base).origin;
const kWait = 10_000;

let passed = 0;
let failed = 0;
function pass(what) {
  passed += 1;
  console.log(`ok - ${what}`);
}
function fail(what, why) {
  failed += 1;
  console.log(`not ok - ${what}`);
  if (why) console.log(`  ${String(why).split('\n').slice(0, 6).join('\n  ')}`);
}
// check(WHAT, async () => condition or throws): one assertion.
async function check(what, fn) {
  try {
    const result = await fn();
    if (result === false) fail(what);
    else pass(what);
  } catch (e) {
    fail(what, e && e.message ? e.message : e);
  }
}
// Waits until `fn` (in Node) returns true, or throws after kWait.
async function until(fn, what) {
  const end = Date.now() + kWait;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

const browser = await chromium.launch({ executablePath, headless: true });
try {
  // Staff of a Japanese operator: the browser's day is the operator's day
  // (Asia/Tokyo in examples/telecom-operator.toml).
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'ja-JP' });
  const page = await context.newPage();
  // Once the dashboard is drawn its parts are there at once: a missing part
  // fails fast. Waits for the server use kWait explicitly.
  page.setDefaultTimeout(2_000);

  // Every request the page makes; anything not for the server is refused.
  const requests = [];
  const foreign = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  page.on('request', (request) => requests.push(request.url()));
  // Console errors and warnings, by phase: the wrong-token step expects the
  // browser's own "Failed to load resource ... 401" line and nothing else.
  let phase = 'load';
  const messages = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      messages.push({ phase, type: m.type(), text: m.text() });
    }
  });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const responses = new Map();
  page.on('response', (r) => responses.set(new URL(r.url()).pathname, r));
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
  await check('the element is defined (the script ran under the CSP)', async () => {
    await page.waitForFunction(() => customElements.get('mamori-audit') !== undefined, null, {
      timeout: kWait,
    });
  });
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
  phase = 'wrong-token';
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
  phase = 'forbidden';
  await check('a token without the audit permission shows the API\'s "forbidden" error', async () => {
    await page.locator('#token').fill(agentToken);
    await page.locator('#sign-in').click();
    await page.locator('#error').waitFor({ timeout: kWait });
    const shown = await page.locator('#error').textContent();
    if (!/forbidden/.test(shown)) throw new Error(`shown: ${shown.trim()}`);
  });
  await check('sign out forgets that token', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#token').waitFor({ timeout: kWait });
    return (await page.evaluate(() => sessionStorage.length)) === 0;
  });

  // --- the dashboard ------------------------------------------------------------------
  phase = 'dashboard';
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
  const text = async (selector) => (await page.locator(selector).textContent()).trim();
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
  await check('customer requests: "not tracked yet"', async () =>
    /not tracked yet/.test(await text('#requests')));
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
  phase = 'range';
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
  phase = 'reload';
  await check('a reload keeps the token for this tab', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.locator('#ledger-verified').waitFor({ timeout: kWait });
  });
  await check('sign out forgets the token', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#token').waitFor({ timeout: kWait });
    return (await page.evaluate(() => sessionStorage.length)) === 0;
  });

  // --- what the browser saw ---------------------------------------------------------------
  await check('no uncaught error in the page', () => {
    if (pageErrors.length) throw new Error(pageErrors.join('\n'));
  });
  await check('no console error or warning (but the 401 and 403 asked for)', () => {
    const unexpected = messages.filter(
      (m) =>
        !(m.phase === 'wrong-token' && /status of 401/.test(m.text)) &&
        !(m.phase === 'forbidden' && /status of 403/.test(m.text)),
    );
    if (unexpected.length) {
      throw new Error(unexpected.map((m) => `[${m.phase}] ${m.type}: ${m.text}`).join('\n'));
    }
  });
  await check('no request left the server (localhost)', () => {
    if (foreign.length) throw new Error(foreign.join('\n'));
    return requests.every((u) => new URL(u).origin === origin);
  });
} finally {
  await browser.close();
}

console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
