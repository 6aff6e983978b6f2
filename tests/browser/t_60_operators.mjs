// 運用者 (admins only): adding an operator who then logs in with the TOTP
// secret shown once, changing a role, replacing the second factor,
// disabling; what an officer gets; both languages.
import assert from 'node:assert/strict';
import { pageAs, setLang, shot, pageFetch, db, loginForm, newContext, totp, sleep, env, noEnglish, noMissing } from './lib.mjs';

const PASSWORD = 'Browser-op-pass-2026x';	// never shown by the console
let seq = 0;
const uniq = (p) => `${p}-${(Date.now() % 1000000).toString(36)}${seq++}`;

// Log in from a fresh context; resolves { ctx, page, ok, error }.
async function tryLogin(user, code) {
	const ctx = await newContext();
	const page = await ctx.newPage();
	await page.goto(`${env.con}/dashboard/`);
	await page.evaluate(() => localStorage.setItem('jpkid.lang', 'ja'));
	await page.reload();
	await page.waitForSelector('form.login-form');
	await loginForm(page, user, { password: PASSWORD, code });
	const ok = !!(await page.$('header.top'));
	let error = null;
	if (!ok) {
		await page.waitForSelector('[data-testid=login-error]:not([hidden])');
		error = (await page.textContent('[data-testid=login-error]')).trim();
		await sleep(1200);	// the address's login delay after a failure (others log in next)
	}
	return { ctx, page, ok, error };
}

async function openAdd(page) {
	await page.click('[data-action=add-operator]');
	await page.waitForSelector('dialog.dialog input[name=username]');
}

export default async (test) => {
	test('test_admin_adds_operator_who_then_logs_in', async () => {
		const page = await pageAs('br-adm', '#/operators');
		await page.waitForSelector('[data-testid=operator-list] tr[data-operator="br-adm"]');
		await noEnglish(page);
		await noMissing(page);
		await shot(page, 'operators');
		await openAdd(page);
		await noEnglish(page);
		await shot(page, 'operator-add');
		await page.click('dialog.dialog [data-action=cancel]');
		await setLang(page, 'en');
		await page.waitForSelector('[data-testid=operator-list] tr[data-operator="br-adm"]');
		await noMissing(page);
		assert.equal((await page.textContent('main h1')).trim(), 'Operators');
		await shot(page, 'operators');
		await openAdd(page);
		assert.equal((await page.textContent('dialog.dialog h2')).trim(), 'Add an operator');
		await shot(page, 'operator-add');
		await page.click('dialog.dialog [data-action=cancel]');
		await setLang(page, 'ja');
		await page.waitForSelector('[data-testid=operator-list] tr[data-operator="br-adm"]');

		const user = uniq('br-new');
		await openAdd(page);
		await page.fill('dialog input[name=username]', user);
		await page.fill('dialog input[name=display_name]', '新規 太郎');
		await page.selectOption('dialog select[name=role]', 'officer');
		await page.fill('dialog input[name=password]', PASSWORD);
		await page.fill('dialog input[name=password2]', PASSWORD + 'x');
		await page.click('dialog.dialog [data-action=confirm]');
		assert.match(await page.textContent('dialog.dialog .error'), /一致しません/);
		await page.fill('dialog input[name=password2]', PASSWORD);
		await page.click('dialog.dialog [data-action=confirm]');
		await page.waitForSelector('[data-testid=totp-secret]');
		const secret = (await page.textContent('[data-testid=totp-secret]')).trim();
		const uri = (await page.textContent('[data-testid=totp-uri]')).trim();
		assert.match(secret, /^[A-Z2-7]{16,}$/);
		assert.ok(uri.startsWith('otpauth://totp/') && uri.includes(`secret=${secret}`), uri);
		assert.equal(await page.getAttribute('[data-testid=totp-once]', 'translate'), null);
		assert.equal(await page.$eval('[data-testid=totp-secret]', (e) => e.closest('[translate=no]') !== null), true);
		assert.match(await page.textContent('dialog.dialog .secret-warning'), /一度だけ/);
		assert.ok(!(await page.content()).includes(PASSWORD), 'the password is on the page');
		await noEnglish(page);
		await shot(page, 'operator-secret');
		await page.click('dialog.dialog [data-action=confirm]');
		const row = page.locator(`tr[data-operator="${user}"]`);
		await row.waitFor();
		assert.equal(await row.locator('[data-role]').getAttribute('data-role'), 'officer');
		assert.equal(db(`SELECT role || ' ' || enabled || ' ' || (totp_secret IS NOT NULL) || ' ' || display_name FROM operators WHERE username = '${user}'`),
			'officer true true 新規 太郎');
		// The secret is not kept anywhere on the page once closed.
		assert.equal(await page.locator('[data-testid=totp-secret]').count(), 0);

		const { ctx, page: p2, ok } = await tryLogin(user, totp(secret));
		try {
			assert.ok(ok, 'the new operator could not log in');
			assert.equal((await p2.textContent('[data-testid=operator-name]')).trim(), '新規 太郎');
			assert.equal((await p2.textContent('[data-testid=operator-role]')).trim(), '担当者');
			assert.equal(await p2.locator('nav a[data-nav=operators]').count(), 0);
		} finally {
			await ctx.close();
		}
		await page.close();
	});

	test('test_admin_changes_role_and_disables', async () => {
		const page = await pageAs('br-adm', '#/operators');
		await page.waitForSelector('[data-testid=operator-list] tr[data-operator="br-adm"]');
		const user = uniq('br-chg');
		const made = await pageFetch(page, 'POST', '/v1/operators', { json: { username: user, role: 'officer',
			display_name: '変更 花子', password: PASSWORD } });
		assert.equal(made.status, 201);
		const first = await pageFetch(page, 'POST', `/v1/operators/${made.body.id}/totp`);
		assert.equal(first.status, 201);
		const oldSecret = first.body.secret;
		await page.reload();
		const row = page.locator(`tr[data-operator="${user}"]`);
		await row.waitFor();

		// Role: officer → viewer.
		await row.locator('[data-action=role]').click();
		await page.waitForSelector('dialog.dialog [data-testid=new-role]');
		assert.equal((await page.textContent('dialog.dialog [data-testid=dialog-subject]')).includes(user), true);
		await page.selectOption('dialog.dialog [data-testid=new-role]', 'viewer');
		await page.click('dialog.dialog [data-action=confirm]');
		await page.waitForSelector(`tr[data-operator="${user}"] [data-role=viewer]`);
		assert.equal(db(`SELECT role FROM operators WHERE username = '${user}'`), 'viewer');

		// Second factor: a new secret, shown once; the old one stops working.
		await row.locator('[data-action=reset-totp]').click();
		await page.waitForSelector('dialog.dialog [data-action=confirm].danger');
		await page.click('dialog.dialog [data-action=confirm]');
		await page.waitForSelector('[data-testid=totp-secret]');
		const newSecret = (await page.textContent('[data-testid=totp-secret]')).trim();
		assert.notEqual(newSecret, oldSecret);
		await page.click('dialog.dialog [data-action=confirm]');
		await page.waitForSelector('[data-testid=totp-secret]', { state: 'detached' });
		const old = await tryLogin(user, totp(oldSecret));
		assert.equal(old.ok, false, 'the old secret still works');
		assert.equal(old.error, 'ユーザー名、パスワードまたはワンタイムコードが正しくありません。');
		await old.ctx.close();
		const fresh = await tryLogin(user, totp(newSecret));
		assert.ok(fresh.ok, 'the new secret does not work');
		assert.equal((await fresh.page.textContent('[data-testid=operator-role]')).trim(), '閲覧者');

		// Disable (confirmed): its session ends and it cannot log in again.
		await row.locator('[data-action=disable]').click();
		await page.waitForSelector('dialog.dialog [data-action=confirm].danger');
		assert.ok((await page.textContent('dialog.dialog')).includes('ログインできなくなり'));
		await page.click('dialog.dialog [data-action=confirm]');
		await page.waitForSelector(`tr[data-operator="${user}"] [data-enabled=false]`);
		assert.equal(db(`SELECT enabled FROM operators WHERE username = '${user}'`), 'f');
		assert.equal((await pageFetch(fresh.page, 'GET', '/v1/session', { csrf: false })).status, 401);
		await fresh.ctx.close();
		const denied = await tryLogin(user, totp(newSecret, Date.now() + 30000));
		assert.equal(denied.ok, false, 'a disabled operator logged in');
		assert.equal(denied.error, 'ユーザー名、パスワードまたはワンタイムコードが正しくありません。');
		await denied.ctx.close();
		// Enable again: the button is there and works.
		await row.locator('[data-action=enable]').click();
		await page.waitForSelector(`tr[data-operator="${user}"] [data-enabled=true]`);
		assert.equal(db(`SELECT enabled FROM operators WHERE username = '${user}'`), 't');
		await page.close();
	}, { timeout: 120000 });

	test('test_officer_cannot_open_operators_screen', async () => {
		const page = await pageAs('br-off', '#/operators');
		assert.equal(await page.locator('nav a[data-nav=operators]').count(), 0);
		await page.waitForSelector('main p.error');
		assert.equal((await page.textContent('main h1')).trim(), '運用者');
		assert.match(await page.textContent('main p.error'), /権限がありません/);
		assert.equal(await page.locator('[data-action=add-operator]').count(), 0);
		const r = await pageFetch(page, 'GET', '/v1/operators', { csrf: false });
		assert.equal(r.status, 403);
		assert.equal(r.body.required_role, 'admin');
		const v = await pageAs('br-view', '#/operators');
		assert.equal((await pageFetch(v, 'GET', '/v1/operators/1', { csrf: false })).status, 403);
		await v.close();
		await page.close();
	});
};
