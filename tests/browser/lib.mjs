// Shared by the browser tests (tests/browser/t_*.mjs, run by run.sh via
// suite.mjs): the environment run.sh set up, TOTP, logged-in pages per
// role, the database, openssl, screenshots and the "no English left" check.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const env = {
	con: process.env.BR_CON,		// https://127.0.0.1:PORT (console)
	st: process.env.BR_ST,			// http://127.0.0.1:PORT (status)
	api: process.env.BR_API,		// https://127.0.0.1:PORT (API, client certs)
	ca: process.env.BR_CA,			// jpkictl init directory
	work: process.env.BR_WORK,		// scratch directory of this run
	out: process.env.BR_OUT,		// screenshots and logs (kept)
	pg: process.env.BR_PG,			// jpki_psql cluster dir
	top: process.env.BR_TOP,		// repository
	password: process.env.BR_PASSWORD,	// every test operator's password
	jpkictl: process.env.BR_JPKICTL,
	conf: process.env.BR_CONF,
	// username → base32 TOTP secret
	secrets: JSON.parse(process.env.BR_SECRETS || '{}'),
};

// ---------------------------------------------------------------- TOTP (RFC 6238)
function base32(s) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of s.replace(/=+$/, '').toUpperCase())
		bits += abc.indexOf(ch).toString(2).padStart(5, '0');
	const out = [];
	for (let i = 0; i + 8 <= bits.length; i += 8)
		out.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(out);
}

export function totp(secret, at = Date.now(), step = 0) {
	const counter = Math.floor(at / 1000 / 30) + step;
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(counter));
	const mac = createHmac('sha1', base32(secret)).update(msg).digest();
	const off = mac[mac.length - 1] & 0xf;
	const code = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
	return String(code).padStart(6, '0');
}

// jpkid refuses a code used before (replay): wait for the next 30 s step
// when this user's last login used the current one.
const lastStep = {};
export async function freshCode(user) {
	let step = Math.floor(Date.now() / 30000);
	if (lastStep[user] !== undefined && lastStep[user] >= step) {
		await sleep((step + 1) * 30000 - Date.now() + 200);
		step = Math.floor(Date.now() / 30000);
	}
	lastStep[user] = step;
	return totp(env.secrets[user]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- shell helpers
export function sh(cmd, args, opts = {}) {
	return execFileSync(cmd, args, Object.assign({ encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }, opts));
}

// One value (or rows joined by \n) from the test database.
export function db(sql) {
	return sh('bash', ['-c', `. "$BR_TOP/deploy/lib.sh"; jpki_psql "$BR_PG" jpkid -tAc "$1"`, 'db', sql]).trim();
}

// openssl ocsp against the status listener: "good", "revoked" or "unknown".
export function ocspStatus(type, certPem) {
	const dir = join(env.work, 'ocsp-' + Math.random().toString(36).slice(2));
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'cert.pem'), certPem);
	const out = sh('openssl', ['ocsp', '-issuer', join(env.ca, `${type}-ca.crt`), '-cert', join(dir, 'cert.pem'),
		'-url', `${env.st}/ocsp`, '-CAfile', join(env.ca, `${type}-ca.crt`), '-no_nonce']);
	const m = /cert\.pem: (good|revoked|unknown)/.exec(out);
	return m ? m[1] : out;
}

// ---------------------------------------------------------------- browser
let browser = null;
const contexts = {};		// user → logged-in BrowserContext

export async function launch() {
	browser = await chromium.launch({
		executablePath: process.env.BR_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=ja-JP'],
	});
	return browser;
}

export async function close() {
	for (const c of Object.values(contexts))
		await c.close().catch(() => {});
	if (browser)
		await browser.close();
}

// A new context (cookies, storage of its own), console errors collected on every page.
export async function newContext(opts = {}) {
	const ctx = await browser.newContext(Object.assign({
		ignoreHTTPSErrors: true,		// the dev CA's server certificate
		locale: 'ja-JP',
		timezoneId: 'Europe/London',		// the page must still show JST
		viewport: { width: 1366, height: 900 },
	}, opts));
	ctx.consoleErrors = [];
	ctx.on('page', (p) => watch(p, ctx));
	return ctx;
}

function watch(page, ctx) {
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404|409|422|423|429)/.test(m.text()))
			ctx.consoleErrors.push(m.text());
	});
	page.on('pageerror', (e) => ctx.consoleErrors.push(String(e)));
}

// Fill the login form and submit; resolves when the shell (or an error) shows.
export async function loginForm(page, user, { password = env.password, code } = {}) {
	await page.fill('input[name=username]', user);
	await page.fill('input[name=password]', password);
	await page.fill('input[name=totp]', code ?? await freshCode(user));
	const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/session' &&
		r.request().method() === 'POST');
	await page.click('form.login-form button[type=submit]');
	const res = await answered;
	if (res.status() === 201)
		await page.waitForSelector('header.top');
	else
		await page.waitForSelector('form.login-form button[type=submit]:not([disabled])');
	return res.status();
}

// A page of a logged-in context for user (logged in once, reused), at hash.
export async function pageAs(user, hash = '#/overview', { lang = 'ja' } = {}) {
	if (!contexts[user]) {
		const ctx = await newContext();
		const p = await ctx.newPage();
		await p.goto(`${env.con}/dashboard/`);
		await p.evaluate(() => localStorage.setItem('jpkid.lang', 'ja'));
		await p.waitForSelector('form.login-form');
		await loginForm(p, user);
		if (!(await p.$('header.top')))
			throw new Error(`login as ${user} failed: ${await p.textContent('[data-testid=login-error]')}`);
		await p.close();
		contexts[user] = ctx;
	}
	const page = await contexts[user].newPage();
	await page.goto(`${env.con}/dashboard/`);
	await page.evaluate((l) => localStorage.setItem('jpkid.lang', l), lang);
	await page.goto(`${env.con}/dashboard/${hash}`);
	await page.reload();
	await page.waitForSelector('main h1');
	return page;
}

// Switch the language from the header button and wait for the re-render.
export async function setLang(page, l) {
	const cur = await page.evaluate(() => document.documentElement.lang);
	if (cur !== l) {
		await page.click('[data-testid=lang-switch]');
		await page.waitForFunction((x) => document.documentElement.lang === x, l);
	}
	await page.waitForSelector('main h1');
}

// Save a screenshot under $BR_OUT/screens/<name>-<lang>.png.
export async function shot(page, name) {
	const l = await page.evaluate(() => document.documentElement.lang);
	const dir = join(env.out, 'screens');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `${name}-${l}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

// Acronyms and product names that stay as they are in Japanese text.
export const LATIN_OK = new Set(['OCSP', 'CRL', 'CRLs', 'CSV', 'PEM', 'DER', 'TOTP', 'jpkid', 'JPKI', 'OK', 'ID',
	'URL', 'SHA', 'HTTPS', 'HTTP', 'API', 'English', 'KB', 'MB', 'GB', 'CSRF', 'JST', 'IP', 'CA', 'PIN', 'JSON']);

// The visible words in Latin script outside translate="no" (data: serials,
// names, hashes) and outside LATIN_OK: what is left in English. Looks at text,
// button/input labels, placeholders, titles, aria-labels, option texts.
export async function englishLeft(page) {
	const words = await page.evaluate(() => {
		const out = [];
		const skip = (el) => el.closest('[translate=no], script, style, noscript, canvas');
		const visible = (el) => {
			const r = el.getBoundingClientRect();
			const cs = getComputedStyle(el);
			return (r.width > 0 || r.height > 0) && cs.visibility !== 'hidden' && cs.display !== 'none';
		};
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!el || skip(el) || !n.textContent.trim())
				continue;
			if (el.tagName === 'OPTION' ? !visible(el.parentElement) : !visible(el))
				continue;
			out.push(n.textContent);
		}
		for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
			if (skip(el))
				continue;
			for (const a of ['placeholder', 'title', 'aria-label'])
				if (el.getAttribute(a))
					out.push(el.getAttribute(a));
		}
		return out;
	});
	const left = new Set();
	for (const w of words.join(' ').match(/[A-Za-z][A-Za-z'-]*[A-Za-z]/g) || [])
		if (!LATIN_OK.has(w))
			left.add(w);
	return [...left];
}

// i18n keys the page asked for that its language does not have.
export async function missingKeys(page) {
	return page.evaluate(() => window.__i18nMissing || []);
}

// fetch() from the page (the session cookie rides along), for forged requests.
export async function pageFetch(page, method, path, { json, csrf = true, headers = {} } = {}) {
	return page.evaluate(async ({ method, path, json, csrf, headers }) => {
		const h = Object.assign({ Accept: 'application/json' }, headers);
		if (json !== undefined)
			h['Content-Type'] = 'application/json';
		if (csrf) {
			const s = await (await fetch('/v1/session')).json();
			h['X-CSRF-Token'] = s.csrf_token;
		}
		const r = await fetch(path, { method, headers: h, body: json === undefined ? undefined : JSON.stringify(json) });
		let body = null;
		try {
			body = await r.json();
		} catch (e) {
			body = null;
		}
		return { status: r.status, body };
	}, { method, path, json, csrf, headers });
}

// ---------------------------------------------------------------- assertions
// eq(a, b, msg): equal as JSON, both values in the message.
export function eq(a, b, msg) {
	const ja = JSON.stringify(a);
	const jb = JSON.stringify(b);
	if (ja !== jb)
		throw new Error(`${msg}: got ${ja}, want ${jb}`);
}

// The lines of psql output (none for an empty answer).
export const lines = (s) => (s ? s.split('\n') : []);

// Japanese mode: no English left on the page (englishLeft), and no i18n key missing.
export async function noEnglish(page) {
	const left = await englishLeft(page);
	assert.deepEqual(left, [], `English left in Japanese mode: ${left.join(' ')}`);
}

export async function noMissing(page) {
	const m = await missingKeys(page);
	assert.deepEqual(m, [], `i18n keys missing: ${m.join(' ')}`);
}
