// 証明書 (dashboard/js/screens/certificates.js): search by serial, resident,
// municipality + type + status (rows = the database's), the detail with
// validity in JST and the era, the audit trail, revocation from the dialog
// (then openssl ocsp says revoked), and what viewers and forged requests get.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageAs, setLang, shot, englishLeft, missingKeys, pageFetch, db, ocspStatus, sleep, eq, lines } from './lib.mjs';
import assert from 'node:assert/strict';

const certsDir = process.env.BR_CERTS;
const index = () => readFileSync(join(certsDir, 'index.txt'), 'utf8').trim().split('\n')
	.map((l) => l.split(' ')).map(([code, sign, auth]) => ({ code, sign, auth }));
const pem = (code, type) => readFileSync(join(certsDir, `${code}-${type}.pem`), 'utf8');
// An index entry whose SIGN certificate is still valid, trying the preferred one first
// (other test files may revoke certificates too).
function validSign(prefer) {
	const all = index();
	for (const e of [all[prefer], ...all])
		if (e && db(`SELECT status FROM certificates WHERE serial = decode('${e.sign}', 'hex') AND not_after > now()`) === 'valid')
			return e;
	throw new Error('no valid SIGN certificate left in the index');
}


// The list's rows once the search for query (a URLSearchParams string) shows.
async function listed(page, query) {
	await page.waitForSelector(`[data-testid=cert-results][data-query="${query}"] [data-testid=cert-count][data-count]`);
	return page.$$eval('[data-testid=cert-results] tbody tr[data-serial]', (rs) => rs.map((r) => r.dataset.serial));
}

async function search(page, fields, selects = {}) {
	for (const [k, v] of Object.entries(fields))
		await page.fill(`[data-testid=cert-search] input[name=${k}]`, v);
	for (const [k, v] of Object.entries(selects))
		await page.selectOption(`[data-testid=cert-search] select[name=${k}]`, v);
	await page.press('[data-testid=cert-search] input[name=serial]', 'Enter');
}

async function detailShown(page, status) {
	await page.waitForSelector(status ? `[data-testid=cert-detail][data-status=${status}]` :
		'[data-testid=cert-detail][data-status]');
}

async function langChecks(page, name, headingEn) {
	eq(await englishLeft(page), [], `${name}: English left in Japanese mode`);
	eq(await missingKeys(page), [], `${name}: missing i18n keys (ja)`);
	await shot(page, name);
	await setLang(page, 'en');
	return async (ready) => {
		if (ready)
			await ready();
		eq(await missingKeys(page), [], `${name}: missing i18n keys (en)`);
		eq((await page.textContent('main h1')).trim(), headingEn, `${name}: English heading`);
		await shot(page, name);
		await setLang(page, 'ja');
		if (ready)
			await ready();
	};
}

function noConsoleErrors(page) {
	const errs = page.context().consoleErrors.splice(0);
	eq(errs, [], 'console errors');
}

// pageAs, but with the context's console errors of earlier tests (other
// files share the logged-in context) dropped, and the page loaded afresh.
async function as(user, hash) {
	const page = await pageAs(user, hash);
	page.context().consoleErrors.splice(0);
	await page.reload();
	await page.waitForSelector('main h1');
	return page;
}

const JST_SQL = (col) => `to_char(${col} AT TIME ZONE 'Asia/Tokyo', 'YYYY/MM/DD HH24:MI:SS')`;

export default async (test) => {
	test('test_certificates_search_by_serial', async () => {
		const { sign } = index()[0];
		const page = await as('br-view', '#/certificates');
		await listed(page, '');
		await search(page, { serial: sign.toUpperCase() });
		const rows = await listed(page, `serial=${sign.toLowerCase()}`);
		eq(rows, lines(db(`SELECT encode(serial, 'hex') FROM certificates WHERE serial = decode('${sign.toLowerCase()}', 'hex')`)),
			'rows for the serial');
		eq(rows.length, 1, 'one row');
		const finish = await langChecks(page, 'certificates', 'Certificates');
		await finish(() => page.waitForSelector('[data-testid=cert-count][data-count]'));
		noConsoleErrors(page);
		await page.close();
	});

	test('test_certificates_search_by_resident', async () => {
		const { code, sign, auth } = index()[1];
		const page = await as('br-view', '#/certificates');
		await search(page, { resident_code: code });
		const rows = await listed(page, `resident_code=${code}`);
		const want = lines(db(`SELECT encode(serial, 'hex') FROM certificates WHERE resident_code = '${code}'
			ORDER BY issued_at DESC, serial DESC`));
		eq(rows, want, 'rows for the resident (newest first)');
		assert(rows.includes(sign) && rows.includes(auth), 'both issued certificates listed');
		// Each row: the type, the holder, the municipality and notAfter as the database has them.
		for (const s of rows) {
			const [type, mun, na] = db(`SELECT type, crl_shard, ${JST_SQL('not_after')} FROM certificates
				WHERE serial = decode('${s}', 'hex')`).split('|');
			const cells = await page.$$eval(`tr[data-serial="${s}"] td`, (tds) => tds.map((td) => td.textContent.trim()));
			eq(cells[1], type === 'sign' ? '署名用' : '利用者証明用', `type of ${s}`);
			eq(cells[2], code, `holder of ${s}`);
			eq(cells[3], mun, `municipality of ${s}`);
			const naText = await page.textContent(`tr[data-serial="${s}"] td:nth-child(7) time`);
			eq(naText, na.slice(0, 16), `notAfter of ${s} in JST`);
		}
		noConsoleErrors(page);
		await page.close();
	});

	test('test_certificates_search_by_municipality_and_type_and_status', async () => {
		const page = await as('br-view', '#/certificates');
		await search(page, { municipality: '131016' }, { type: 'sign', status: 'valid' });
		const rows = await listed(page, 'municipality=131016&type=sign&status=valid');
		const want = lines(db(`SELECT encode(serial, 'hex') FROM certificates WHERE crl_shard = '131016'
			AND type = 'sign' AND status = 'valid' ORDER BY issued_at DESC, serial DESC LIMIT 50`));
		eq(rows, want, 'rows for 131016, sign, valid');
		assert(rows.length >= 1, 'a valid SIGN certificate of 131016 is listed');
		const badges = await page.$$eval('[data-testid=cert-results] tbody .badge', (b) => b.map((x) => x.textContent));
		assert(badges.every((b) => b === '有効'), `every badge 有効: ${badges}`);
		// Another combination: 141003, auth.
		await search(page, { municipality: '141003' }, { type: 'auth', status: '' });
		const rows2 = await listed(page, 'municipality=141003&type=auth');
		eq(rows2, lines(db(`SELECT encode(serial, 'hex') FROM certificates WHERE crl_shard = '141003'
			AND type = 'auth' ORDER BY issued_at DESC, serial DESC LIMIT 50`)), 'rows for 141003, auth');
		// A malformed filter is refused in the form, not sent.
		await page.fill('[data-testid=cert-search] input[name=resident_code]', '123');
		await page.press('[data-testid=cert-search] input[name=serial]', 'Enter');
		await page.waitForSelector('[data-testid=cert-search-error]:not([hidden])');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_certificate_detail_shows_validity_in_jst_with_era', async () => {
		const { code, auth } = index()[0];
		const page = await as('br-view', `#/certificates?resident_code=${code}`);
		await listed(page, `resident_code=${code}`);
		// Keyboard: Tab to the row, Enter opens the detail.
		await page.focus(`tr[data-serial="${auth}"]`);
		await page.keyboard.press('Enter');
		await page.waitForFunction((s) => location.hash === `#/certificates/${s}`, auth);
		await detailShown(page, 'valid');
		const [na, nb, y, m, d] = db(`SELECT ${JST_SQL('not_after')}, ${JST_SQL('not_before')},
			extract(year FROM not_after AT TIME ZONE 'Asia/Tokyo'), extract(month FROM not_after AT TIME ZONE 'Asia/Tokyo'),
			extract(day FROM not_after AT TIME ZONE 'Asia/Tokyo') FROM certificates WHERE serial = decode('${auth}', 'hex')`).split('|');
		eq(await page.textContent('[data-field=not_after] time'), na, 'notAfter in JST');
		eq(await page.textContent('[data-field=not_before] time'), nb, 'notBefore in JST');
		const reiwa = Number(y) - 2018;
		eq(await page.textContent('[data-field=not_after] .era'), `令和${reiwa === 1 ? '元' : reiwa}年${Number(m)}月${Number(d)}日`,
			'notAfter era');
		eq(await page.textContent('[data-field=serial]'), auth, 'serial');
		eq(await page.textContent('[data-field=resident_code]'), code, 'holder');
		eq(await page.textContent('[data-field=card_number]'), db(`SELECT card_number FROM certificates
			WHERE serial = decode('${auth}', 'hex')`), 'card number');
		eq(await page.textContent('[data-field=status]'), '有効', 'status');
		assert(!(await page.$('[data-action=revoke]')), 'a viewer has no revoke button');
		// The audit trail: the issuance row and this read.
		const issueSeq = db(`SELECT seq FROM audit_log WHERE action = 'certificate.issue' AND detail->>'serial' = '${auth}'`);
		assert(issueSeq, 'issuance audited');
		assert(await page.$(`[data-action="certificate.issue"][data-seq="${issueSeq}"]`), 'trail shows the issuance');
		const reads = lines(db(`SELECT seq FROM audit_log WHERE action = 'certificate.read' AND object = 'certificate:${auth}'
			ORDER BY seq DESC`));
		assert(reads.length >= 1, 'the read is audited');
		const shownReads = await page.$$eval('[data-action="certificate.read"][data-seq]', (r) => r.map((x) => x.dataset.seq));
		eq(shownReads, reads, 'trail shows every read of this certificate');
		const finish = await langChecks(page, 'certificate-detail', 'Certificate details');
		await finish(() => detailShown(page, 'valid'));
		// Back to the list by keyboard-reachable link; a click on a row opens it too.
		await page.click('[data-action=back]');
		await listed(page, '');
		await page.click(`tr[data-serial="${auth}"] td:nth-child(2)`);
		await page.waitForFunction((s) => location.hash === `#/certificates/${s}`, auth);
		await detailShown(page, 'valid');
		// An unknown serial: the API's 404, said in Japanese.
		await page.evaluate(() => (location.hash = '#/certificates/00ff00ff'));
		await page.waitForSelector('main p.error');
		assert((await page.textContent('main p.error')).includes('見つかりません'), 'unknown serial: 見つかりません');
		eq(await englishLeft(page), [], 'unknown serial: English left');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_revoke_from_ui_then_openssl_ocsp_says_revoked', async () => {
		const { code, sign } = validSign(2);
		const cert = pem(code, 'sign');
		eq(ocspStatus('sign', cert), 'good', 'OCSP before');
		const page = await as('br-off', `#/certificates/${sign}`);
		await detailShown(page, 'valid');
		const open = async () => {
			await page.click('[data-action=revoke]');
			await page.waitForSelector('dialog.dialog[open] [data-testid=revoke-text]');
		};
		await open();
		const text = await page.textContent('dialog [data-testid=revoke-text]');
		assert(text.includes(code) && text.includes(sign) && text.includes('署名用電子証明書'),
			`dialog names the holder, type and serial: ${text}`);
		const options = await page.$$eval('dialog select[name=reason] option', (o) => o.map((x) => [x.value, x.textContent]));
		assert(options.some(([v, l]) => v === 'keyCompromise' && l === '鍵の危殆化（紛失・盗難）'), 'Japanese reason names');
		eq(options.map(([v]) => v).filter(Boolean).sort(), ['affiliationChanged', 'cACompromise', 'cessationOfOperation',
			'keyCompromise', 'superseded', 'unspecified'], 'the R26 reasons');
		eq(await page.evaluate(() => document.activeElement.name), 'reason', 'focus on the reason picker');
		eq(await englishLeft(page), [], 'dialog: English left');
		await shot(page, 'revoke-dialog');
		// No reason: refused in the dialog.
		await page.click('dialog [data-action=confirm]');
		await page.waitForSelector('dialog .error:not([hidden])');
		// Escape cancels; nothing revoked.
		await page.keyboard.press('Escape');
		await page.waitForSelector('dialog.dialog', { state: 'detached' });
		eq(db(`SELECT status FROM certificates WHERE serial = decode('${sign}', 'hex')`), 'valid', 'cancel revokes nothing');
		await setLang(page, 'en');
		await detailShown(page, 'valid');
		await open();
		eq(await missingKeys(page), [], 'dialog: missing keys (en)');
		await shot(page, 'revoke-dialog');
		await page.click('dialog [data-action=cancel]');
		await setLang(page, 'ja');
		await detailShown(page, 'valid');
		await open();
		await page.selectOption('dialog select[name=reason]', 'keyCompromise');
		await page.click('dialog [data-action=confirm]');
		await detailShown(page, 'revoked');
		eq(db(`SELECT status || ' ' || reason FROM certificates WHERE serial = decode('${sign}', 'hex')`),
			'revoked keyCompromise', 'db row');
		eq(await page.textContent('[data-field=status]'), '失効', 'detail shows 失効');
		eq(await page.textContent('[data-field=reason]'), '鍵の危殆化（紛失・盗難）', 'detail shows the reason');
		assert((await page.textContent('[data-testid=revoked-banner]')).includes('鍵の危殆化'), 'banner');
		eq(await page.textContent('[data-field=revoked_at] time'), db(`SELECT ${JST_SQL('revoked_at')} FROM certificates
			WHERE serial = decode('${sign}', 'hex')`), 'revocation time in JST');
		assert(!(await page.$('[data-action=revoke]')), 'no revoke button on a revoked certificate');
		const revSeq = db(`SELECT seq FROM audit_log WHERE action = 'certificate.revoke' AND object = 'certificate:${sign}'`);
		assert(await page.$(`[data-action="certificate.revoke"][data-seq="${revSeq}"]`), 'trail shows the revocation');
		let st = '';
		for (let i = 0; i < 50 && st !== 'revoked'; i++) {
			st = ocspStatus('sign', cert);
			if (st !== 'revoked')
				await sleep(200);
		}
		eq(st, 'revoked', 'openssl ocsp');
		eq(ocspStatus('auth', pem(code, 'auth')), 'good', 'the AUTH certificate is untouched');
		eq(await englishLeft(page), [], 'revoked detail: English left');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_viewer_sees_no_revoke_button_and_forged_request_gets_403', async () => {
		const { sign } = validSign(3);
		const off = await as('br-off', `#/certificates/${sign}`);
		await detailShown(off, 'valid');
		assert(await off.$('[data-action=revoke]'), 'an officer sees the revoke button');
		await off.close();
		const page = await as('br-view', `#/certificates/${sign}`);
		await detailShown(page, 'valid');
		assert(!(await page.$('[data-action=revoke]')), 'no revoke button for a viewer');
		assert(!(await page.$('button.danger')), 'no danger button at all');
		const r = await pageFetch(page, 'POST', `/v1/certificates/${sign}/revoke`, { json: { reason: 'keyCompromise' } });
		eq(r.status, 403, 'forged revoke as viewer');
		eq(db(`SELECT status || ' ' || coalesce(reason, '-') FROM certificates WHERE serial = decode('${sign}', 'hex')`),
			'valid -', 'db unchanged');
		eq(db(`SELECT count(*) FROM audit_log WHERE action = 'certificate.revoke' AND object = 'certificate:${sign}'`), '0',
			'no revocation audited');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_request_without_csrf_token_gets_403', async () => {
		const { code, sign } = validSign(3);
		const page = await as('br-off', `#/certificates/${sign}`);
		await detailShown(page, 'valid');
		const r = await pageFetch(page, 'POST', `/v1/certificates/${sign}/revoke`, { json: { reason: 'keyCompromise' }, csrf: false });
		eq(r.status, 403, 'revoke without X-CSRF-Token');
		eq(db(`SELECT status FROM certificates WHERE serial = decode('${sign}', 'hex')`), 'valid', 'not revoked');
		eq(ocspStatus('sign', pem(code, 'sign')), 'good', 'OCSP still good');
		noConsoleErrors(page);
		await page.close();
	});
};
