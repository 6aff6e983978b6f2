// 概要 (overview): its figures against the database, JST dates, the 10 s refresh.
import { env, db, sh, pageAs, shot, englishLeft, missingKeys, setLang, sleep } from './lib.mjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const raw = (page, sel) => page.getAttribute(sel, 'data-raw');
const count = (sql) => db(sql);

// What /v1/stats counts as valid: stored valid and not past notAfter.
const validSql = (type) => `SELECT count(*) FROM certificates WHERE type = '${type}' AND status = 'valid' AND not_after > now()`;

export default async function (test) {
	test('test_overview_numbers_equal_the_database', async () => {
		const page = await pageAs('br-view', '#/overview');
		await page.waitForSelector('[data-figure=valid-sign]');
		for (const ty of ['sign', 'auth']) {
			assert.equal(await raw(page, `[data-figure=valid-${ty}] [data-raw]`), count(validSql(ty)), `valid ${ty}`);
			assert.equal(await page.getAttribute(`[data-figure=valid-${ty}] [data-raw-revoked]`, 'data-raw-revoked'),
				count(`SELECT count(*) FROM certificates WHERE type = '${ty}' AND status = 'revoked'`), `revoked ${ty}`);
		}
		for (const r of ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'])
			for (const [i, ty] of [[2, 'sign'], [3, 'auth']])
				assert.equal(await raw(page, `tr[data-reason=${r}] td:nth-child(${i}) [data-raw]`),
					count(`SELECT count(*) FROM certificates WHERE type = '${ty}' AND status = 'revoked' AND reason = '${r}'`),
					`${r} ${ty}`);
		const crls = count('SELECT count(*) FROM (SELECT DISTINCT issuer, shard FROM crls) x');
		assert.equal(await page.getAttribute('[data-testid=crl-summary]', 'data-count'), crls);
		assert.equal(await page.getAttribute('[data-testid=crl-summary]', 'data-late'), '0');
		assert.equal(await page.textContent('[data-testid=readiness]'), '受付可能');
		await page.close();
	});

	test('test_overview_crl_dates_in_jst_and_numbers_with_separators', async () => {
		const page = await pageAs('br-view', '#/overview');
		await page.waitForSelector('tr[data-crl]');
		const row = await page.getAttribute('tr[data-crl]', 'data-crl');
		const [issuer, muni] = row.split('-');
		const jst = count(`SELECT to_char(this_update AT TIME ZONE 'Asia/Tokyo', 'YYYY/MM/DD HH24:MI') FROM crls
			WHERE issuer = '${issuer}' AND shard = '${muni}' ORDER BY number DESC LIMIT 1`);
		const cell = await page.textContent(`tr[data-crl="${row}"] td:nth-child(4)`);
		assert.equal(cell.trim(), jst, 'thisUpdate shown in JST (the browser runs in Europe/London)');
		// A big figure gets separators: the OCSP count after many requests is formatted by Intl.
		assert.equal(await page.evaluate(() => new Intl.NumberFormat('ja-JP').format(1234567)), '1,234,567');
		await page.close();
	});

	test('test_overview_refreshes_itself_every_10s_without_reload', async () => {
		const page = await pageAs('br-view', '#/overview');
		await page.waitForSelector('[data-figure=ocsp] [data-raw]');
		await page.evaluate(() => { window.__sameDocument = true; });
		const before = Number(await raw(page, '[data-figure=ocsp] [data-raw]'));
		const t0 = Number(await page.getAttribute('[data-testid=updated]', 'data-updated-at'));
		// Three OCSP requests from a relying party's point of view (openssl).
		const line = readFileSync(join(process.env.BR_CERTS, 'index.txt'), 'utf8').split('\n')[0].split(' ');
		const pem = join(process.env.BR_CERTS, `${line[0]}-auth.pem`);
		for (let i = 0; i < 3; i++)
			sh('openssl', ['ocsp', '-issuer', join(env.ca, 'auth-ca.crt'), '-cert', pem, '-url', `${env.st}/ocsp`,
				'-CAfile', join(env.ca, 'auth-ca.crt'), '-no_nonce']);
		await page.waitForFunction((t) => Number(document.querySelector('[data-testid=updated]').dataset.updatedAt) > t,
			t0, { timeout: 15000 });
		const after = Number(await raw(page, '[data-figure=ocsp] [data-raw]'));
		assert.ok(after >= before + 3, `ocsp ${before} → ${after}`);
		assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no page reload');
		await page.close();
	}, { timeout: 60000 });

	test('test_overview_late_crl_in_red', async () => {
		const page = await pageAs('br-view', '#/overview');
		db(`UPDATE crls SET this_update = now() - interval '3 days', next_update = now() - interval '1 hour'
			WHERE (issuer, shard, number) = (SELECT issuer, shard, number FROM crls
			WHERE issuer = 'auth' ORDER BY shard, number DESC LIMIT 1)`);
		try {
			await page.reload();
			await page.waitForSelector('tr.row-late');
			assert.equal(await page.getAttribute('[data-testid=crl-summary]', 'data-late'), '1');
			const color = await page.$eval('tr.row-late td', (td) => getComputedStyle(td).color);
			assert.equal(color, 'rgb(180, 35, 24)');
			await shot(page, 'overview-late-crl');
		} finally {
			db(`UPDATE crls SET this_update = now(), next_update = now() + interval '2 days' WHERE next_update < now()`);
		}
		await page.close();
	});

	test('test_overview_japanese_then_english_screenshots', async () => {
		const page = await pageAs('br-view', '#/overview');
		await page.waitForSelector('.chart-box canvas');
		await sleep(300);
		assert.deepEqual(await englishLeft(page), []);
		assert.deepEqual(await missingKeys(page), []);
		assert.equal(await page.textContent('main h1'), '概要');
		await shot(page, 'overview');
		await setLang(page, 'en');
		await page.waitForSelector('.chart-box canvas');
		assert.equal(await page.textContent('main h1'), 'Overview');
		assert.deepEqual(await missingKeys(page), []);
		await shot(page, 'overview');
		await setLang(page, 'ja');
		await page.close();
	});
}
