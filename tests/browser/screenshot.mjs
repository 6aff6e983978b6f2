// The README's screenshot (docs/img/overview.png) from a running console,
// e.g. the quickstart's after deploy/demo/counter_day.sh:
//   node tests/browser/screenshot.mjs https://127.0.0.1:8444 admin PASSWORD TOTP-SECRET docs/img/overview.png
// Not part of the suite (it needs a live daemon and an account).
import { chromium } from 'playwright-core';
import { totp } from './lib.mjs';

const [url, user, password, secret, out] = process.argv.slice(2);
if (!out) {
	console.error('usage: screenshot.mjs CONSOLE-URL USER PASSWORD TOTP-SECRET OUT.png');
	process.exit(2);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP',
	viewport: { width: 1366, height: 900 } });
const page = await ctx.newPage();
await page.goto(`${url}/dashboard/`);
await page.evaluate(() => localStorage.setItem('jpkid.lang', 'ja'));
await page.reload();
await page.fill('input[name=username]', user);
await page.fill('input[name=password]', password);
await page.fill('input[name=totp]', totp(secret));
await page.click('form.login-form button[type=submit]');
await page.waitForSelector('.chart-box canvas, [data-testid=login-error]:not([hidden])');
if (await page.$('[data-testid=login-error]:not([hidden])')) {
	console.error('login failed:', await page.textContent('[data-testid=login-error]'));
	process.exit(1);
}
await page.waitForTimeout(500);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
console.log(`wrote ${out}`);
