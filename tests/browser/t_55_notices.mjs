// 通知 (R21): certificates made due, "今すぐ作成" from the console, the
// batch and its count, the CSV download, both languages.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pageAs, setLang, shot, pageFetch, db, noEnglish, noMissing } from './lib.mjs';

export default async (test) => {
	test('test_notices_batches_and_csv', async () => {
		// Two valid certificates of one 131016 resident without a notice: into the
		// R21 window (notAfter in 30 days). Certificate contents are immutable
		// (certificates_guard): the trigger is off for this one statement.
		const due = db(`SELECT c.issuer || ':' || encode(c.serial, 'hex') FROM certificates c
			JOIN residents r ON r.resident_code = c.resident_code
			WHERE r.municipality_code = '131016' AND r.status = 'registered' AND c.status = 'valid'
			AND c.not_after > now() + interval '6 months'
			AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.issuer = c.issuer AND n.serial = c.serial)
			AND c.resident_code = (SELECT max(c2.resident_code) FROM certificates c2
				JOIN residents r2 ON r2.resident_code = c2.resident_code
				WHERE r2.municipality_code = '131016' AND c2.status = 'valid')`).split('\n').filter(Boolean);
		assert.ok(due.length >= 1, 'no certificate to make due');
		const serials = due.map((x) => x.split(':')[1]);
		const inList = serials.map((s) => `'\\x${s}'::bytea`).join(',');
		db(`BEGIN; ALTER TABLE certificates DISABLE TRIGGER certificates_guard;
			UPDATE certificates SET not_after = date_trunc('second', now()) + interval '30 days' WHERE serial IN (${inList});
			ALTER TABLE certificates ENABLE TRIGGER certificates_guard; COMMIT;`);
		const dueNow = Number(db(`SELECT count(*) FROM certificates c JOIN residents r ON r.resident_code = c.resident_code
			WHERE r.municipality_code = '131016' AND r.status = 'registered' AND c.status = 'valid'
			AND c.not_after >= now() AND c.not_after <= now() + interval '3 months'
			AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.issuer = c.issuer AND n.serial = c.serial)`));
		assert.ok(dueNow >= serials.length);

		const page = await pageAs('br-off', '#/notices?municipality=131016');
		await page.waitForSelector('[data-testid=notice-batches]');
		await page.click('[data-action=run-notices]');
		await page.waitForSelector('[data-testid=run-result]');
		const runRow = page.locator('tr[data-run-municipality="131016"]');
		await runRow.waitFor();
		const batchId = (await runRow.locator('td').nth(1).textContent()).trim();
		assert.match(batchId, /^\d+$/);
		const inDb = db(`SELECT count(*) FROM notices WHERE batch_id = ${batchId}`);
		assert.equal(inDb, String(dueNow));
		assert.equal(await runRow.locator('[data-count]').getAttribute('data-count'), inDb);
		for (const s of serials)
			assert.equal(db(`SELECT batch_id FROM notices WHERE serial = '\\x${s}'::bytea`), batchId);
		// The batch table of 131016 shows it, and the totals are the database's.
		const batchRow = page.locator(`[data-testid=notice-batches] tr[data-batch="${batchId}"]`);
		await batchRow.waitFor();
		assert.equal(await batchRow.locator('[data-count]').getAttribute('data-count'), inDb);
		assert.equal(await page.getAttribute('[data-testid=notice-batches]', 'data-total'),
			db("SELECT count(*) FROM notices WHERE municipality_code = '131016'"));
		assert.equal(await page.getAttribute('[data-testid=notice-batches]', 'data-batches'),
			db("SELECT count(*) FROM notice_batches WHERE municipality_code = '131016'"));

		// CSV of the batch: header and one row per notice, with the serials.
		const [dl] = await Promise.all([page.waitForEvent('download'),
			batchRow.locator('[data-action=csv-batch]').click()]);
		assert.equal(dl.suggestedFilename(), `notices-131016-${batchId}.csv`);
		const csv = readFileSync(await dl.path(), 'utf8').split('\r\n').filter(Boolean);
		assert.equal(csv[0], 'batch_id,type,serial,not_after,resident_code,name,address');
		assert.equal(csv.length - 1, Number(inDb));
		for (const s of serials)
			assert.ok(csv.some((l) => l.startsWith(`${batchId},`) && l.includes(`,${s},`)), `serial ${s} not in the CSV`);
		// The whole municipality.
		const [dl2] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=csv-all]')]);
		const all = readFileSync(await dl2.path(), 'utf8').split('\r\n').filter(Boolean);
		assert.equal(all.length - 1, Number(db("SELECT count(*) FROM notices WHERE municipality_code = '131016'")));

		// A second run finds nothing new (R21: never listed twice).
		await page.click('[data-action=run-notices]');
		await page.waitForSelector('[data-testid=run-result][data-batches="0"]');
		assert.equal(db(`SELECT count(*) FROM notices WHERE serial IN (${inList})`), String(serials.length));

		await page.click('details.notice-list summary');
		await noEnglish(page);
		await noMissing(page);
		await shot(page, 'notices');
		await setLang(page, 'en');
		await page.waitForSelector('[data-testid=notice-batches]');
		await noMissing(page);
		assert.equal((await page.textContent('main h1')).trim(), 'Expiry notices');
		await shot(page, 'notices');
		await page.close();
	});

	test('test_viewer_reads_notices_but_cannot_run', async () => {
		const page = await pageAs('br-view', '#/notices?municipality=131016');
		await page.waitForSelector('[data-testid=notice-batches]');
		assert.equal(await page.locator('[data-action=run-notices]').count(), 0);
		await noEnglish(page);
		const forged = await pageFetch(page, 'POST', '/v1/notices/run', { json: {} });
		assert.equal(forged.status, 403);
		await page.close();
	});
};
