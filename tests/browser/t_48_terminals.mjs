// 端末 (#/terminals, dashboard/js/screens/terminals.js): enrolment from a
// PEM (the certificate then authenticates), "今すぐ無効化" (then refused),
// last_seen_at, the three tabs, roles, both languages.
import assert from 'node:assert/strict';
import { pageAs, setLang, shot, englishLeft, missingKeys, db, sleep } from './lib.mjs';
import { clientCert, curlStatus } from './t_45_relying_parties.mjs';

export default async (test) => {
	test('test_terminal_enrol_from_pem_and_disable_now', async () => {
		const tag = Date.now().toString(36);
		const name = `千代田区 窓口UI-${tag}`;
		const cert = clientCert(`term-${tag}`);
		const page = await pageAs('br-adm', '#/terminals');
		try {
			await page.waitForSelector('[role=tab][aria-selected=true][data-tab=terminals]');
			assert.equal(curlStatus(cert, '/v1/whoami'), '401', 'not enrolled yet');
			await page.click('[data-testid=term-enrol]');
			await page.waitForSelector('dialog.dialog [data-testid=term-f-name]');
			await page.fill('[data-testid=term-f-name]', name);
			await page.fill('[data-testid=term-f-muni]', '131016');
			await page.fill('[data-testid=term-f-window]', 'UI9');
			await page.fill('[data-testid=term-f-cert]', cert.pem);
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			await shot(page, 'terminal-enrol');
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector('dialog.dialog', { state: 'detached' });
			const row = page.locator('tr[data-id]', { hasText: name });
			await row.waitFor();
			const id = db(`SELECT id FROM terminals WHERE name = '${name}'`);
			assert.match(id, /^\d+$/);
			assert.equal(db(`SELECT enabled::text || ' ' || municipality_code || ' ' || window_code FROM terminals WHERE id = ${id}`),
				'true 131016 UI9');
			assert.equal(await row.getAttribute('data-id'), id);
			assert.equal(await row.locator('[data-testid=term-seen]').getAttribute('data-raw'), '', 'never seen yet');

			assert.equal(curlStatus(cert, '/v1/whoami'), '200', 'the enrolled certificate authenticates');
			// last_seen_at (to the minute) appears after a reload of the list.
			let seen = '';
			for (let i = 0; i < 20 && !seen; i++) {
				await page.click('main .toolbar button:not(.primary)');
				await page.waitForSelector(`tr[data-id="${id}"]`);
				seen = await page.getAttribute(`tr[data-id="${id}"] [data-testid=term-seen]`, 'data-raw');
				if (!seen)
					await sleep(250);
			}
			assert.ok(seen, 'last_seen_at set');
			assert.match(await page.textContent(`tr[data-id="${id}"] [data-testid=term-seen]`), /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/);
			assert.ok(Math.abs(new Date(seen).getTime() - Date.now()) < 5 * 60000, 'seen just now');

			await page.click(`tr[data-id="${id}"] [data-testid=term-disable]`);
			await page.waitForSelector('dialog.dialog');
			assert.match(await page.textContent('dialog.dialog'), /今すぐ無効化/);
			await shot(page, 'terminal-disable-dialog');
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector(`tr[data-id="${id}"] [data-testid=term-state][data-enabled=false]`);
			assert.equal(db(`SELECT enabled FROM terminals WHERE id = ${id}`), 'f');
			assert.equal(curlStatus(cert, '/v1/whoami'), '401', 'refused at once');
			// Enable again, then disable for good.
			await page.click(`tr[data-id="${id}"] [data-testid=term-enable]`);
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector(`tr[data-id="${id}"] [data-testid=term-state][data-enabled=true]`);
			assert.equal(curlStatus(cert, '/v1/whoami'), '200');
			await page.click(`tr[data-id="${id}"] [data-testid=term-disable]`);
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector(`tr[data-id="${id}"] [data-testid=term-state][data-enabled=false]`);
			assert.equal(curlStatus(cert, '/v1/whoami'), '401');
			assert.deepEqual(await missingKeys(page), []);
		} finally {
			await page.close();
		}
	});

	test('test_kiosk_and_feed_enrol_from_pem', async () => {
		const tag = Date.now().toString(36);
		const page = await pageAs('br-adm', '#/terminals?tab=kiosks');
		try {
			await page.waitForSelector('[role=tab][aria-selected=true][data-tab=kiosks]');
			const kc = clientCert(`kiosk-${tag}`);
			await page.click('[data-testid=term-enrol]');
			await page.fill('[data-testid=term-f-name]', `コンビニUI-${tag}`);
			await page.check('[data-testid=term-f-pin]');
			assert.equal(await page.$('[data-testid=term-f-muni]'), null, 'kiosks have no municipality');
			// The PEM from a file, through the dialog's own button.
			await page.setInputFiles('[data-testid=term-f-file]', kc.crt);
			await page.waitForFunction(() => document.querySelector('[data-testid=term-f-cert]').value.includes('BEGIN CERTIFICATE'));
			assert.equal(await page.inputValue('[data-testid=term-f-cert]'), kc.pem);
			assert.match(await page.textContent('[data-testid=term-f-file-name]'), /\.crt$/);
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			await page.click('dialog.dialog [data-action=confirm]');
			await page.locator('tr[data-id]', { hasText: `コンビニUI-${tag}` }).waitFor();
			assert.equal(db(`SELECT auth_pin_reset FROM kiosks WHERE name = 'コンビニUI-${tag}'`), 't');
			assert.equal(curlStatus(kc, '/v1/whoami'), '200');
			// Keyboard: arrow keys move between the tabs.
			await page.focus('[role=tab][data-tab=kiosks]');
			await page.keyboard.press('ArrowLeft');
			await page.waitForSelector('[role=tab][aria-selected=true][data-tab=feeds]');
			const fc = clientCert(`feed-${tag}`);
			await page.click('[data-testid=term-enrol]');
			await page.fill('[data-testid=term-f-name]', `住基連携UI-${tag}`);
			await page.fill('[data-testid=term-f-cert]', fc.pem);
			await page.click('dialog.dialog [data-action=confirm]');
			await page.locator('tr[data-id]', { hasText: `住基連携UI-${tag}` }).waitFor();
			assert.equal(db(`SELECT enabled FROM register_feeds WHERE name = '住基連携UI-${tag}'`), 't');
			assert.equal(curlStatus(fc, '/v1/whoami'), '200');
		} finally {
			await page.close();
		}
	});

	test('test_terminals_viewer_sees_no_enrol_or_disable', async () => {
		const page = await pageAs('br-view', '#/terminals');
		try {
			await page.waitForSelector('tr[data-id]');
			assert.equal((await page.$$('[data-testid=term-enrol], [data-testid=term-disable], [data-testid=term-enable]')).length, 0);
		} finally {
			await page.close();
		}
	});

	test('test_terminals_screen_in_both_languages', async () => {
		const page = await pageAs('br-adm', '#/terminals');
		try {
			await page.waitForSelector('tr[data-id]');
			assert.equal(await page.textContent('main h1'), '端末');
			for (const tab of ['terminals', 'feeds', 'kiosks']) {
				await page.click(`[role=tab][data-tab=${tab}]`);
				await page.waitForSelector(`[role=tab][aria-selected=true][data-tab=${tab}]`);
				await page.waitForSelector('main table');
				assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			}
			await page.click('[role=tab][data-tab=terminals]');
			await page.waitForSelector('tr[data-id]');
			assert.deepEqual(await missingKeys(page), []);
			await shot(page, 'terminals');
			await setLang(page, 'en');
			await page.waitForSelector('tr[data-id]');
			assert.equal(await page.textContent('main h1'), 'Terminals');
			assert.equal(await page.textContent('[role=tab][data-tab=feeds]'), 'Register feeds');
			assert.deepEqual(await missingKeys(page), []);
			await shot(page, 'terminals');
			await page.click('[data-testid=term-enrol]');
			await page.waitForSelector('dialog.dialog');
			assert.equal(await page.textContent('dialog.dialog h2'), 'Enrol a counter terminal');
			await shot(page, 'terminal-enrol');
			await page.keyboard.press('Escape');
			await setLang(page, 'ja');
		} finally {
			await page.close();
		}
	});
};
