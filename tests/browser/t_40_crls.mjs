// 失効リスト (#/crls, dashboard/js/screens/crls.js): publishing from the UI
// raises the CRL number (screen, database, the downloaded DER), late CRLs in
// red, no publish button for a viewer (and the API refuses a forged POST),
// both languages complete.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pageAs, setLang, shot, englishLeft, missingKeys, pageFetch, db, sh, env } from './lib.mjs';

const maxNumber = (issuer, shard) =>
	Number(db(`SELECT max(number) FROM crls WHERE issuer = '${issuer}' AND shard = '${shard}'`));
const shownNumber = async (page, key) =>
	Number(await page.getAttribute(`tr[data-crl="${key}"] [data-testid=crl-number]`, 'data-raw'));

export default async (test) => {
	test('test_crl_publish_from_ui_raises_the_number', async () => {
		const page = await pageAs('br-off', '#/crls');
		try {
			await page.waitForSelector('tr[data-crl="sign-131016"]');
			const before = await shownNumber(page, 'sign-131016');
			const authBefore = maxNumber('auth', '131016');
			assert.equal(before, maxNumber('sign', '131016'), 'the screen shows the latest number');
			await page.click('tr[data-crl="sign-131016"] [data-testid=crl-publish]');
			await page.waitForSelector('dialog.dialog [data-testid=crl-publish-what]');
			assert.match(await page.textContent('[data-testid=crl-publish-what]'), /署名用.*131016/);
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			await shot(page, 'crl-publish-dialog');
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForFunction((b) => Number(document.querySelector(
				'tr[data-crl="sign-131016"] [data-testid=crl-number]')?.dataset.raw) === b + 1, before);
			assert.equal(maxNumber('sign', '131016'), before + 1, 'the database has the next number');
			assert.equal(maxNumber('auth', '131016'), authBefore, 'only the row asked for was published');
			assert.ok(await page.$('tr[data-crl="sign-131016"].row-new'), 'the new row is marked');
			const [dl] = await Promise.all([page.waitForEvent('download'),
				page.click('tr[data-crl="sign-131016"] [data-testid=crl-download]')]);
			assert.equal(dl.suggestedFilename(), 'sign-131016.crl');
			const file = join(env.work, 'ui-sign-131016.crl');
			await dl.saveAs(file);
			const out = sh('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-crlnumber']);
			const m = /crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(out);
			assert.ok(m, out);
			assert.equal(parseInt(m[1], 16), before + 1, `openssl: ${out.trim()}`);
			const size = Number(await page.getAttribute('tr[data-crl="sign-131016"] td:nth-child(7) [data-raw]', 'data-raw'));
			assert.equal(size, statSync(file).size, 'size_bytes is the downloaded DER\'s length');
			assert.equal(size, Number(db(`SELECT octet_length(der) FROM crls WHERE issuer = 'sign' AND shard = '131016' AND number = ${before + 1}`)));
		} finally {
			await page.close();
		}
	});

	test('test_crl_publish_all_shown_for_one_type', async () => {
		const page = await pageAs('br-off', '#/crls');
		try {
			await page.waitForSelector('tr[data-crl]');
			await page.selectOption('[data-testid=crl-filter-type]', 'auth');
			await page.selectOption('[data-testid=crl-filter-muni]', '141003');
			const shown = await page.$$eval('tr[data-crl]', (rs) => rs.map((r) => r.dataset.crl));
			assert.deepEqual(shown, ['auth-141003']);
			const before = maxNumber('auth', '141003');
			const signBefore = maxNumber('sign', '141003');
			await page.click('[data-testid=crl-publish-all]');
			await page.waitForSelector('dialog.dialog');
			assert.match(await page.textContent('[data-testid=crl-publish-what]'), /利用者証明用.*141003/);
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForFunction((b) => Number(document.querySelector(
				'tr[data-crl="auth-141003"] [data-testid=crl-number]')?.dataset.raw) === b + 1, before);
			assert.equal(maxNumber('auth', '141003'), before + 1);
			assert.equal(maxNumber('sign', '141003'), signBefore);
		} finally {
			await page.close();
		}
	});

	test('test_crls_late_shown_in_red', async () => {
		const key = "issuer = 'auth' AND shard = '131016'";
		const num = maxNumber('auth', '131016');
		const orig = db(`SELECT this_update::text || '|' || next_update::text FROM crls WHERE ${key} AND number = ${num}`).split('|');
		db(`UPDATE crls SET this_update = now() - interval '2 hours', next_update = now() - interval '1 hour' WHERE ${key} AND number = ${num}`);
		const page = await pageAs('br-view', '#/crls');
		try {
			await page.waitForSelector('tr[data-crl="auth-131016"]');
			assert.ok(await page.$('tr[data-crl="auth-131016"].row-late [data-testid=crl-late]'), 'late row with its badge');
			assert.equal(await page.textContent('tr[data-crl="auth-131016"] [data-testid=crl-late]'), '期限切れ');
			const color = await page.$eval('tr[data-crl="auth-131016"] td:nth-child(5)', (td) => getComputedStyle(td).color);
			assert.equal(color, 'rgb(180, 35, 24)', 'red (--bad)');
			assert.equal(await page.$('tr[data-crl="sign-131016"].row-late'), null, 'the others are not late');
			assert.ok(Number(await page.getAttribute('[data-testid=crl-summary]', 'data-late')) >= 1);
			await shot(page, 'crls-late');
		} finally {
			db(`UPDATE crls SET next_update = '${orig[1]}', this_update = '${orig[0]}' WHERE ${key} AND number = ${num}`);
			await page.close();
		}
	});

	test('test_viewer_sees_no_publish_button', async () => {
		const page = await pageAs('br-view', '#/crls');
		try {
			await page.waitForSelector('tr[data-crl="sign-131016"]');
			assert.equal((await page.$$('[data-testid=crl-publish], [data-testid=crl-publish-all]')).length, 0);
			assert.ok((await page.$$('[data-testid=crl-download]')).length >= 4, 'downloads are for every role');
			const before = db('SELECT count(*) FROM crls');
			const r = await pageFetch(page, 'POST', '/v1/crls/publish', { json: {} });
			assert.equal(r.status, 403);
			const r2 = await pageFetch(page, 'POST', '/v1/crls/publish', { json: { issuer: 'sign', municipality_code: '131016' } });
			assert.equal(r2.status, 403);
			assert.equal(db('SELECT count(*) FROM crls'), before, 'nothing published');
		} finally {
			await page.close();
		}
	});

	test('test_crls_screen_in_both_languages', async () => {
		const page = await pageAs('br-off', '#/crls');
		try {
			await page.waitForSelector('tr[data-crl]');
			assert.equal(await page.textContent('main h1'), '失効リスト');
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			assert.deepEqual(await missingKeys(page), []);
			await shot(page, 'crls');
			await setLang(page, 'en');
			await page.waitForSelector('tr[data-crl]');
			assert.equal(await page.textContent('main h1'), 'CRLs');
			assert.equal(await page.textContent('tr[data-crl="sign-131016"] td:first-child'), 'Signing');
			await shot(page, 'crls');
			await page.click('tr[data-crl="sign-131016"] [data-testid=crl-publish]');
			await page.waitForSelector('dialog.dialog');
			assert.match(await page.textContent('dialog.dialog h2'), /Publish CRLs now/);
			await shot(page, 'crl-publish-dialog');
			await page.click('dialog.dialog [data-action=cancel]');
			assert.deepEqual(await missingKeys(page), []);
			// Keyboard: the publish button is reachable and Enter opens the dialog.
			await page.focus('tr[data-crl="sign-131016"] [data-testid=crl-publish]');
			await page.keyboard.press('Enter');
			await page.waitForSelector('dialog.dialog');
			await page.keyboard.press('Escape');
			await page.waitForSelector('dialog.dialog', { state: 'detached' });
			await setLang(page, 'ja');
		} finally {
			await page.close();
		}
	});
};
