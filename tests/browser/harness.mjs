// What the browser tests (console.test.mjs, staff.test.mjs, privacy.test.mjs)
// share: the environment their *_test.sh sets, the checks ("ok - ..." /
// "not ok - ..." lines and the summary), and Debian's chromium driven with
// playwright-core, with everything that does not go to the server refused
// and what the page logged, threw, asked and was answered kept.
import { chromium } from 'playwright-core';

// How long a check waits for the server.
export const kWait = 10_000;

// The values of the environment variables NAMES, which SCRIPT sets; exits 2
// when one is missing.
export function required(names, script) {
  const values = names.map((name) => process.env[name]);
  if (values.some((value) => !value)) {
    const all = names.length > 1
      ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
    console.error(`set ${all} (${script} does)`);
    process.exit(2);
  }
  return values;
}

let passed = 0;
let failed = 0;
// How many lines of why a check failed are shown.
let whyLines = 6;

function pass(what) {
  passed += 1;
  console.log(`ok - ${what}`);
}
function fail(what, why) {
  failed += 1;
  console.log(`not ok - ${what}`);
  if (why) console.log(`  ${String(why).split('\n').slice(0, whyLines).join('\n  ')}`);
}
// check(WHAT, async () => condition or throws): one assertion.
export async function check(what, fn) {
  try {
    const result = await fn();
    if (result === false) fail(what);
    else pass(what);
  } catch (e) {
    fail(what, e && e.message ? e.message : e);
  }
}
// Waits until `fn` (in Node) returns true, or throws after kWait.
export async function until(fn, what) {
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

// The summary line; exits 1 if any check failed.
export function finish() {
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

// The trimmed text of the element SELECTOR names (its first, with `first`).
export function textIn(page, first = false) {
  return async (selector) => {
    const locator = page.locator(selector);
    return ((await (first ? locator.first() : locator).textContent())).trim();
  };
}

// Waits until the page's custom element NAME is defined (its script ran).
export async function elementDefined(page, name) {
  await page.waitForFunction((n) => customElements.get(n) !== undefined, name, {
    timeout: kWait,
  });
}

// Whether the console's nav links the six pages in order (throws when not),
// with PAGE (its key: audit, requests, ...) marked current.
export async function navMarks(page, current) {
  await page.locator('#nav').waitFor({ timeout: kWait });
  const hrefs = await page.locator('#nav a').evaluateAll((as) =>
    as.map((a) => a.getAttribute('href')));
  const pages = ['/console/audit', '/console/incidents', '/console/alerts',
    '/console/requests', '/console/complaints', '/console/lookup'];
  if (JSON.stringify(hrefs) !== JSON.stringify(pages)) throw new Error(`nav: ${hrefs}`);
  return (await page.locator(`#nav-${current}`).getAttribute('aria-current')) === 'page';
}

// Signs the console out: true when the tab keeps nothing.
export async function signOut(page) {
  await page.locator('#sign-out').click();
  await page.locator('#token').waitFor({ timeout: kWait });
  return (await page.evaluate(() => sessionStorage.length)) === 0;
}

// Runs `body(b)` with a new page of headless chromium, then closes the
// browser. Options: `base` (the server's URL), `executablePath`, `context`
// (browser context options), `whyLines`. `b` holds `context`, `page`, and
// what the browser saw: `urls` (every request the page made), `foreign`
// (those not for the server, refused), `messages` (console errors and
// warnings, each with the `phase` that `b.phase` named when it came),
// `pageErrors` (uncaught errors) and `responses` (the last answer by path).
export async function withBrowser(options, body) {
  const origin = new URL(options.base).origin;
  whyLines = options.whyLines ?? whyLines;
  const browser = await chromium.launch({ executablePath: options.executablePath, headless: true });
  try {
    const context = await browser.newContext(options.context);
    const page = await context.newPage();
    // A part of a page that is drawn is there at once: a missing part fails
    // fast. Waits for the server use kWait explicitly.
    page.setDefaultTimeout(2_000);
    const b = {
      origin, context, page, phase: 'load',
      urls: [], foreign: [], messages: [], pageErrors: [], responses: new Map(),
    };
    // Every request the page makes; anything not for the server is refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      b.foreign.push(url);
      return route.abort();
    });
    page.on('request', (request) => b.urls.push(request.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        b.messages.push({ phase: b.phase, type: m.type(), text: m.text() });
      }
    });
    page.on('pageerror', (e) => b.pageErrors.push(String(e)));
    page.on('response', (r) => b.responses.set(new URL(r.url()).pathname, r));
    await body(b);
  } finally {
    await browser.close();
  }
}

// The last checks of every test, on what the browser saw: no uncaught
// error, no console error or warning but the browser's own "Failed to load
// resource ... status of N" for each [PHASE, N] of `asked`, no request that
// left the server.
export async function checkWhatTheBrowserSaw(b, asked) {
  await check('no uncaught error in the page', () => {
    if (b.pageErrors.length) throw new Error(b.pageErrors.join('\n'));
  });
  const statuses = asked.map(([, status]) => String(status));
  const named = `${statuses.slice(0, -1).join(', ')} and ${statuses[statuses.length - 1]}`;
  await check(`no console error or warning (but the ${named} asked for)`, () => {
    const unexpected = b.messages.filter((m) => !asked.some(
      ([phase, status]) => m.phase === phase && m.text.includes(`status of ${status}`)));
    if (unexpected.length) {
      throw new Error(unexpected.map((m) => `[${m.phase}] ${m.type}: ${m.text}`).join('\n'));
    }
  });
  await check('no request left the server (localhost)', () => {
    if (b.foreign.length) throw new Error(b.foreign.join('\n'));
    return b.urls.every((u) => new URL(u).origin === b.origin);
  });
}
