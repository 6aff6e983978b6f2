// Login, roles, logout, session expiry, language switch, security headers.
import { env, db, newContext, loginForm, pageAs, shot, englishLeft, missingKeys, setLang, sleep } from './lib.mjs';
import assert from 'node:assert/strict';

async function loginPage(opts) {
	const ctx = await newContext(opts);
	const page = await ctx.newPage();
	await page.goto(`${env.con}/dashboard/`);
	await page.waitForSelector('form.login-form');
	return { ctx, page };
}

export default async function (test) {
	test('test_login_page_japanese_by_default_no_english_left', async () => {
		const { ctx, page } = await loginPage();
		assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
		assert.equal(await page.textContent('h1'), 'ログイン');
		assert.equal(await page.textContent('label[for]:first-of-type'), 'ユーザー名');
		assert.deepEqual(await englishLeft(page), []);
		assert.deepEqual(await missingKeys(page), []);
		await shot(page, 'login');
		await page.click('[data-testid=lang-switch]');
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		assert.equal(await page.textContent('h1'), 'Log in');
		assert.deepEqual(await missingKeys(page), []);
		await shot(page, 'login');
		await ctx.close();
	});

	test('test_language_switch_is_remembered_across_reloads', async () => {
		const { ctx, page } = await loginPage();
		await page.click('[data-testid=lang-switch]');
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		await page.reload();
		await page.waitForSelector('form.login-form');
		assert.equal(await page.textContent('h1'), 'Log in');
		assert.equal(await page.evaluate(() => localStorage.getItem('jpkid.lang')), 'en');
		await page.click('[data-testid=lang-switch]');
		await page.reload();
		await page.waitForSelector('form.login-form');
		assert.equal(await page.textContent('h1'), 'ログイン');
		await ctx.close();
	});

	test('test_login_each_role_with_totp_shows_role_and_allowed_screens', async () => {
		const want = { 'br-view': '閲覧者', 'br-off': '担当者', 'br-adm': '管理者' };
		for (const [user, role] of Object.entries(want)) {
			const page = await pageAs(user);
			assert.equal(await page.textContent('[data-testid=operator-role]'), role);
			assert.equal(await page.textContent('[data-testid=operator-name]'), `Test ${user}`);
			const nav = await page.$$eval('nav.side a', (as) => as.map((a) => a.dataset.nav));
			assert.ok(nav.includes('overview') && nav.includes('certificates') && nav.includes('audit'), nav.join());
			assert.equal(nav.includes('operators'), user === 'br-adm', `${user}: ${nav.join()}`);
			const row = db(`SELECT count(*) FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
				WHERE o.username = '${user}'`);
			assert.ok(Number(row) >= 1, `${user} has a session row`);
			await page.close();
		}
	});

	test('test_login_wrong_password_says_so_and_stays_on_login', async () => {
		const { ctx, page } = await loginPage();
		await loginForm(page, 'br-view2', { password: 'not-the-password-at-all' });
		assert.equal(await page.textContent('[data-testid=login-error]'),
			'ユーザー名、パスワードまたはワンタイムコードが正しくありません。');
		assert.equal(await page.$('header.top'), null);
		assert.equal(await page.inputValue('input[name=password]'), '', 'the password field is emptied');
		await shot(page, 'login-failed');
		await ctx.close();
	});

	test('test_login_wrong_totp_code_refused', async () => {
		const { ctx, page } = await loginPage();
		await loginForm(page, 'br-view2', { code: '000000' });
		assert.match(await page.textContent('[data-testid=login-error]'), /ワンタイムコードが正しくありません/);
		await ctx.close();
	});

	test('test_lockout_after_five_failures_shows_locked_message', async () => {
		const { ctx, page } = await loginPage();
		let text = '';
		for (let i = 0; i < 8 && !/ロック/.test(text); i++) {
			const st = await loginForm(page, 'br-lock', { password: `wrong-password-${i}`, code: '123456' });
			text = await page.textContent('[data-testid=login-error]');
			if (process.env.BR_DEBUG)
				console.log('#', i, st, text);
		}
		assert.match(text, /このアカウントはロックされています/);
		assert.ok(db("SELECT locked_until > now() FROM operators WHERE username = 'br-lock'") === 't', 'locked in the db');
		// the right password does not help while locked
		await loginForm(page, 'br-lock');
		assert.match(await page.textContent('[data-testid=login-error]'), /ロックされています/);
		await shot(page, 'login-locked');
		await ctx.close();
	}, { timeout: 120000 });

	test('test_logout_returns_to_login_and_ends_the_session', async () => {
		const { ctx, page } = await loginPage();
		await loginForm(page, 'br-off2');
		assert.ok(await page.$('header.top'));
		// The overview's figures are still on their way (held 1.5 s) when the
		// operator logs out: their 401 must not turn into "session expired".
		await page.route('**/v1/stats', async (route) => {
			await new Promise((r) => setTimeout(r, 1500));
			await route.continue();
		});
		await page.click('nav.side a[data-nav=crls]');
		await page.waitForSelector('main h1');
		const held = page.waitForRequest('**/v1/stats');
		await page.click('nav.side a[data-nav=overview]');
		await held;
		await page.click('[data-testid=logout]');
		await page.waitForSelector('form.login-form');
		await page.waitForResponse('**/v1/stats');
		await sleep(200);
		assert.equal(await page.textContent('[data-testid=login-notice]'), 'ログアウトしました。');
		const st = await page.evaluate(async () => (await fetch('/v1/session')).status);
		assert.equal(st, 401);
		assert.equal(db(`SELECT count(*) FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
			WHERE o.username = 'br-off2'`), '0');
		await ctx.close();
	});

	test('test_expired_session_goes_to_login_then_back_to_the_screen', async () => {
		const { ctx, page } = await loginPage();
		await loginForm(page, 'br-view2');
		await page.goto(`${env.con}/dashboard/#/terminals`);
		await page.waitForSelector('main h1');
		// The session ends behind the page's back (idle timeout, or an admin).
		db(`DELETE FROM operator_sessions WHERE operator_id = (SELECT id FROM operators WHERE username = 'br-view2')`);
		await page.click('nav.side a[data-nav=crls]');
		await page.waitForSelector('form.login-form');
		assert.equal(await page.textContent('[data-testid=login-notice]'),
			'セッションの有効期限が切れました。もう一度ログインしてください。');
		await shot(page, 'login-expired');
		await loginForm(page, 'br-view2');
		await page.waitForSelector('main h1');
		assert.equal(new URL(page.url()).hash, '#/crls');
		assert.equal(await page.getAttribute('nav.side a[aria-current=page]', 'data-nav'), 'crls');
		await ctx.close();
	}, { timeout: 120000 });

	test('test_console_page_has_strict_csp_and_no_violations', async () => {
		const { ctx, page } = await loginPage();
		const res = await page.goto(`${env.con}/dashboard/`);
		const hd = res.headers();
		assert.match(hd['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
		assert.doesNotMatch(hd['content-security-policy'], /unsafe-inline|unsafe-eval/);
		assert.equal(hd['x-frame-options'], 'DENY');
		assert.equal(hd['referrer-policy'], 'no-referrer');
		await loginForm(page, 'br-view2');
		await page.waitForSelector('[data-figure=valid-sign]');
		await sleep(500);
		assert.deepEqual(ctx.consoleErrors.filter((e) => /Content Security Policy|Refused to/.test(e)), []);
		assert.deepEqual(ctx.consoleErrors, []);
		// Chart.js (Debian's libjs-chart.js) loaded and drew the daily chart
		assert.equal(await page.evaluate(() => typeof window.Chart), 'function');
		assert.ok(await page.$('.chart-box canvas'));
		await ctx.close();
	}, { timeout: 120000 });

	test('test_inline_script_is_refused_by_the_csp', async () => {
		const page = await pageAs('br-view');
		const ran = await page.evaluate(async () => {
			window.__inline = false;
			const s = document.createElement('script');
			s.textContent = 'window.__inline = true';
			document.body.appendChild(s);
			await new Promise((r) => setTimeout(r, 100));
			return window.__inline;
		});
		assert.equal(ran, false);
		// the refusal is logged: not an error for the later tests of this context
		const ctx = page.context();
		ctx.consoleErrors = ctx.consoleErrors.filter((e) => !/Content Security Policy/.test(e));
		await page.close();
	});

	test('test_login_page_in_english_after_switch_no_missing_keys', async () => {
		const page = await pageAs('br-view');
		await setLang(page, 'en');
		assert.equal(await page.textContent('[data-testid=logout]'), 'Log out');
		assert.deepEqual(await missingKeys(page), []);
		await setLang(page, 'ja');
		assert.equal(await page.textContent('[data-testid=logout]'), 'ログアウト');
		await page.close();
	});
}
