// 検証者 (#/relying-parties, dashboard/js/screens/relying_parties.js):
// registration from a PEM, disabling (the certificate is then refused),
// usage per month and the billing CSV, roles, both languages.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageAs, setLang, shot, englishLeft, missingKeys, db, sh, env } from './lib.mjs';

// A client certificate from the dev client CA, never enrolled: { crt, key, pem }.
export function clientCert(name) {
	const dir = join(env.work, 'ui-certs');
	mkdirSync(dir, { recursive: true });
	const base = join(dir, name);
	sh('bash', ['-c', `printf 'extendedKeyUsage=clientAuth\\nkeyUsage=critical,digitalSignature\\n' > "$1.ext" &&
		openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/C=JP/O=UI test/CN=$2" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA "$3/client-ca.crt" -CAkey "$3/client-ca.key" -CAcreateserial \
			-days 30 -extfile "$1.ext" -out "$1.crt" 2>/dev/null`, 'cert', base, name, env.ca]);
	return { crt: `${base}.crt`, key: `${base}.key`, pem: readFileSync(`${base}.crt`, 'utf8') };
}

// HTTP status of a GET to the API listener with that certificate.
export function curlStatus(cert, path) {
	return sh('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10',
		'--cacert', join(env.ca, 'client-ca.crt'), '--cert', cert.crt, '--key', cert.key, `${env.api}${path}`]).trim();
}

function jstMonth(offset = 0) {
	const p = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit' })
		.formatToParts(new Date()).reduce((o, x) => (o[x.type] = x.value, o), {});
	const k = Number(p.year) * 12 + Number(p.month) - 1 + offset;
	return `${Math.floor(k / 12)}-${String(k % 12 + 1).padStart(2, '0')}`;
}

export default async (test) => {
	test('test_rp_register_disable_and_usage_csv', async () => {
		const tag = Date.now().toString(36);
		const name = `検証者UI-${tag}`;
		const cert = clientCert(`rp-${tag}`);
		const page = await pageAs('br-adm', '#/relying-parties');
		try {
			await page.click('[data-testid=rp-register]');
			await page.waitForSelector('dialog.dialog [data-testid=rp-f-name]');
			await page.fill('[data-testid=rp-f-name]', name);
			await page.fill('[data-testid=rp-f-cert]', cert.pem);
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			await shot(page, 'rp-register');
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector('dialog.dialog', { state: 'detached' });
			const row = page.locator('tr[data-rp]', { hasText: name });
			await row.waitFor();
			const id = db(`SELECT id FROM relying_parties WHERE name = '${name}'`);
			assert.match(id, /^\d+$/, 'a database row');
			assert.equal(db(`SELECT enabled::text || ' ' || array_to_string(types, ',') FROM relying_parties WHERE id = ${id}`), 'true sign,auth');
			assert.equal(await row.getAttribute('data-rp'), id);
			assert.equal(await row.locator('[data-testid=rp-state]').getAttribute('data-enabled'), 'true');

			// Checks this month: 3 SIGN and 2 AUTH CRL fetches with its certificate; last month from the table.
			for (let i = 0; i < 3; i++)
				assert.equal(curlStatus(cert, '/crl/sign/131016.crl'), '200');
			for (let i = 0; i < 2; i++)
				assert.equal(curlStatus(cert, '/crl/auth/141003.crl'), '200');
			const prev = jstMonth(-1);
			const now = jstMonth(0);
			db(`INSERT INTO relying_party_usage (relying_party_id, day, issuer, checks) VALUES
				(${id}, '${prev}-03', 'sign', 7), (${id}, '${prev}-20', 'sign', 5), (${id}, '${prev}-11', 'auth', 4)`);

			await row.locator('[data-testid=rp-show-usage]').click();
			await page.waitForSelector(`[data-testid=rp-usage][data-state=ready][data-rp="${id}"] tr[data-month="${now}"]`);
			const cells = async (m) => page.$$eval(`[data-testid=rp-usage] tr[data-month="${m}"] td`,
				(tds) => tds.map((td) => td.textContent));
			assert.deepEqual(await cells(now), [now.replace('-', '/'), '3', '2', '5'], 'this month: the CRL fetches');
			assert.deepEqual(await cells(prev), [prev.replace('-', '/'), '12', '4', '16'], 'last month: the table rows');
			assert.deepEqual(await cells(jstMonth(-2)), [jstMonth(-2).replace('-', '/'), '0', '0', '0']);
			assert.equal((await page.$$('[data-testid=rp-usage] tr[data-month]')).length, 3, 'three months by default');
			await shot(page, 'relying-parties');

			// The billing CSV: BOM, header, one line per relying party and month.
			const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=rp-csv]')]);
			assert.match(dl.suggestedFilename(), /\.csv$/);
			const file = join(env.work, `rp-${tag}.csv`);
			await dl.saveAs(file);
			const text = readFileSync(file, 'utf8');
			assert.equal(text.charCodeAt(0), 0xfeff, 'UTF-8 with BOM');
			const lines = text.slice(1).split('\r\n').filter(Boolean);
			assert.equal(lines[0], '月,検証者番号,検証者名,署名用確認件数,利用者証明用確認件数,合計');
			assert.ok(lines.includes(`${now},${id},${name},3,2,5`), lines.join('\n'));
			assert.ok(lines.includes(`${prev},${id},${name},12,4,16`));
			assert.ok(lines.includes(`${jstMonth(-2)},${id},${name},0,0,0`));
			const nRp = Number(db('SELECT count(*) FROM relying_parties'));
			assert.equal(lines.length, 1 + 3 * nRp, 'one line per relying party and month');

			// Disable: the database says so and its certificate is refused.
			assert.equal(curlStatus(cert, '/v1/whoami'), '200');
			await row.locator('[data-testid=rp-disable]').click();
			await page.waitForSelector('dialog.dialog');
			assert.match(await page.textContent('dialog.dialog'), new RegExp(name));
			await shot(page, 'rp-disable-dialog');
			await page.click('dialog.dialog [data-action=confirm]');
			await page.waitForSelector(`tr[data-rp="${id}"] [data-testid=rp-state][data-enabled=false]`);
			assert.equal(db(`SELECT enabled FROM relying_parties WHERE id = ${id}`), 'f');
			assert.equal(curlStatus(cert, '/v1/whoami'), '401');
			assert.ok(await page.$(`tr[data-rp="${id}"] [data-testid=rp-enable]`), 'can be enabled again');
			assert.deepEqual(await missingKeys(page), []);
		} finally {
			await page.close();
		}
	});

	test('test_rp_viewer_sees_no_register_or_disable', async () => {
		const page = await pageAs('br-view', '#/relying-parties');
		try {
			await page.waitForSelector('tr[data-rp]');
			assert.equal((await page.$$('[data-testid=rp-register], [data-testid=rp-disable], [data-testid=rp-enable]')).length, 0);
			assert.ok((await page.$$('[data-testid=rp-show-usage]')).length >= 1, 'usage is for every role');
			assert.ok(await page.$('[data-testid=rp-csv]'));
		} finally {
			await page.close();
		}
	});

	test('test_relying_parties_screen_in_both_languages', async () => {
		const page = await pageAs('br-adm', '#/relying-parties');
		try {
			await page.waitForSelector('tr[data-rp]');
			await page.click('tr[data-rp] [data-testid=rp-show-usage]');
			await page.waitForSelector('[data-testid=rp-usage] tr[data-month]');
			assert.equal(await page.textContent('main h1'), '検証者');
			assert.deepEqual(await englishLeft(page), [], JSON.stringify(await englishLeft(page)));
			assert.deepEqual(await missingKeys(page), []);
			await setLang(page, 'en');
			await page.waitForSelector('tr[data-rp]');
			assert.equal(await page.textContent('main h1'), 'Relying parties');
			assert.deepEqual(await missingKeys(page), []);
			await shot(page, 'relying-parties');
			await page.click('[data-testid=rp-register]');
			await page.waitForSelector('dialog.dialog');
			assert.match(await page.textContent('dialog.dialog h2'), /Register a relying party/);
			// Validation in the dialog: nothing typed.
			await page.click('dialog.dialog [data-action=confirm]');
			assert.equal(await page.textContent('dialog.dialog p.error'), 'Enter a name.');
			await shot(page, 'rp-register');
			await page.keyboard.press('Escape');
			await setLang(page, 'ja');
		} finally {
			await page.close();
		}
	});
};
