// 監査 (dashboard/js/screens/audit.js): paging through the log with the
// cursor, searching (rows = the database's), the chain check in green
// (sealed through the seq the database says) and, after a row is tampered
// with in PostgreSQL, in red naming the first bad seq. The tampering test
// is last and puts the row back: later files see a clean chain.
import { pageAs, setLang, shot, englishLeft, missingKeys, pageFetch, db, sleep, eq, lines } from './lib.mjs';
import assert from 'node:assert/strict';

async function pageShown(page, n) {
	await page.waitForSelector(`[data-testid=audit-page][data-page="${n}"]`);
	return page.$$eval('[data-testid=audit-log] tbody tr[data-seq]', (rs) => rs.map((r) => r.dataset.seq));
}

async function searched(page, query) {
	await page.waitForSelector(`[data-testid=audit-search][data-query="${query}"]`);
	return pageShown(page, 1);
}

async function waitSealed() {
	for (let i = 0; i < 150; i++) {
		if (db('SELECT count(*) FROM audit_log WHERE sealed_hash IS NULL') === '0')
			return;
		await sleep(100);
	}
	throw new Error('audit rows not sealed within 15 s');
}

// The seq of the last sealed row in chain order (what verify reports).
const chainEnd = () => db('SELECT seq FROM audit_log WHERE chain_pos IS NOT NULL ORDER BY chain_pos DESC LIMIT 1');

async function verify(page) {
	await page.click('[data-action=verify]');
	await page.waitForSelector('[data-testid=verify-result]');
	return page.$eval('[data-testid=verify-result]', (el) => ({
		ok: el.dataset.ok, through: el.dataset.sealedThrough, bad: el.dataset.firstBadSeq,
		text: el.querySelector('.verify-head').textContent, color: getComputedStyle(el).color,
	}));
}

function noConsoleErrors(page) {
	eq(page.context().consoleErrors.splice(0), [], 'console errors');
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

// As the API tests do it (tests/api/audit.sh), but in one transaction on the
// live database: the triggers are off only inside it.
function tamper(chainPos, sql) {
	db(`BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET detail = ${sql}
		WHERE chain_pos = ${chainPos}; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT;`);
}

export default async (test) => {
	test('test_audit_pages_through_the_log', async () => {
		const page = await as('br-view', '#/audit?limit=10');
		const p1 = await pageShown(page, 1);
		eq(p1.length, 10, 'a full first page');
		eq(p1, lines(db(`SELECT seq FROM audit_log WHERE seq <= ${p1[0]} ORDER BY seq DESC LIMIT 10`)), 'page 1 = the newest rows');
		await page.focus('[data-action=next]');
		await page.keyboard.press('Enter');
		const p2 = await pageShown(page, 2);
		eq(p2, lines(db(`SELECT seq FROM audit_log WHERE seq < ${p1[9]} ORDER BY seq DESC LIMIT 10`)), 'page 2 follows page 1');
		await page.click('[data-action=next]');
		const p3 = await pageShown(page, 3);
		eq(p3, lines(db(`SELECT seq FROM audit_log WHERE seq < ${p2[p2.length - 1]} ORDER BY seq DESC LIMIT 10`)),
			'page 3 follows page 2');
		// Each row's cells as the database has them.
		const s = p3[3];
		const [actor, action, object, rid] = db(`SELECT actor, action, coalesce(object, '—'), coalesce(detail->>'request_id', '—')
			FROM audit_log WHERE seq = ${s}`).split('|');
		const cells = await page.$$eval(`[data-testid=audit-log] tr[data-seq="${s}"] td`, (tds) => tds.map((td) => td.textContent.trim()));
		const actorId = await page.textContent(`[data-testid=audit-log] tr[data-seq="${s}"] .actor-id`);
		eq([actorId, ...cells.slice(3, 6)], [actor, action, object, rid], `cells of seq ${s}`);
		// A viewer sees its own username beside its id (from the session); an
		// admin sees everyone's (GET /v1/operators is admin only).
		const viewerId = db("SELECT id FROM operators WHERE username = 'br-view'");
		const named = await page.$$eval('[data-testid=audit-log] tbody tr[data-seq]', (rs) => rs.map((r) =>
			[r.querySelector('.actor-id').textContent, r.querySelector('.actor-name')?.textContent ?? null]));
		for (const [id, name] of named)
			eq(name, id === `operator:${viewerId}` ? 'br-view' : null, `name beside ${id} (viewer)`);
		const adm = await as('br-adm', '#/audit?limit=50&action=audit.read');
		await adm.waitForSelector('[data-testid=audit-search][data-query="action=audit.read&limit=50"]');
		await pageShown(adm, 1);
		const admNamed = await adm.$$eval('[data-testid=audit-log] tbody tr[data-seq]', (rs) => rs.map((r) =>
			[r.querySelector('.actor-id').textContent, r.querySelector('.actor-name')?.textContent ?? null]));
		assert(admNamed.some(([id]) => id === `operator:${viewerId}`), 'br-view\'s reads in the admin\'s list');
		for (const [id, name] of admNamed) {
			const m = /^operator:(\d+)$/.exec(id);
			if (m)
				eq(name, db(`SELECT username FROM operators WHERE id = ${m[1]}`), `name beside ${id} (admin)`);
		}
		noConsoleErrors(adm);
		await adm.close();
		eq(cells[1], db(`SELECT to_char(at AT TIME ZONE 'Asia/Tokyo', 'YYYY/MM/DD HH24:MI:SS') FROM audit_log WHERE seq = ${s}`),
			'time in JST');
		eq(JSON.parse(cells[6]), JSON.parse(db(`SELECT detail::text FROM audit_log WHERE seq = ${s}`)), 'detail JSON');
		await page.click('[data-action=first]');
		const again = await pageShown(page, 1);
		assert(Number(again[0]) >= Number(p1[0]), 'back on the first page');
		eq(await englishLeft(page), [], 'audit: English left');
		eq(await missingKeys(page), [], 'audit: missing keys (ja)');
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot(page, 'audit');
		await setLang(page, 'en');
		await pageShown(page, 1);
		eq(await missingKeys(page), [], 'audit: missing keys (en)');
		eq((await page.textContent('main h1')).trim(), 'Audit', 'English heading');
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot(page, 'audit');
		await setLang(page, 'ja');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_audit_search_by_action', async () => {
		const page = await as('br-view', '#/audit');
		await pageShown(page, 1);
		// Every login is audited (session.create): there is at least this one.
		await page.fill('[data-testid=audit-search] input[name=action]', 'session.create');
		await page.press('[data-testid=audit-search] input[name=action]', 'Enter');
		const rows = await searched(page, 'action=session.create&limit=50');
		assert(rows.length > 0, 'logins listed');
		eq(rows, lines(db(`SELECT seq FROM audit_log WHERE action = 'session.create' AND seq <= ${rows[0]}
			ORDER BY seq DESC LIMIT 50`)), 'rows = the database\'s session.create rows');
		const actions = await page.$$eval('[data-testid=audit-log] tbody tr[data-action]', (r) => r.map((x) => x.dataset.action));
		assert(actions.every((a) => a === 'session.create'), 'only session.create');
		// Action and actor together: br-view's own reads of the log.
		const actor = `operator:${db("SELECT id FROM operators WHERE username = 'br-view'")}`;
		await page.fill('[data-testid=audit-search] input[name=action]', 'audit.read');
		await page.fill('[data-testid=audit-search] input[name=actor]', actor);
		await page.press('[data-testid=audit-search] input[name=actor]', 'Enter');
		const mine = await searched(page, `actor=${encodeURIComponent(actor)}&action=audit.read&limit=50`);
		assert(mine.length > 0, 'br-view has read the log');
		eq(mine, lines(db(`SELECT seq FROM audit_log WHERE action = 'audit.read' AND actor = '${actor}'
			AND seq <= ${mine[0]} ORDER BY seq DESC LIMIT 50`)), 'rows for actor + action');
		const names = await page.$$eval('[data-testid=audit-log] tbody .actor-name', (n) => [...new Set(n.map((x) => x.textContent))]);
		eq(names, ['br-view'], 'the username beside the actor');
		// A time range in JST: the logins from the first one's minute to a minute after the last.
		const [from, to] = db(`SELECT to_char(min(at) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD"T"HH24:MI'),
			to_char((max(at) + interval '1 minute') AT TIME ZONE 'Asia/Tokyo', 'YYYY/MM/DD HH24:MI')
			FROM audit_log WHERE action = 'session.create'`).split('|');
		await page.click('[data-action=clear]');
		await searched(page, 'limit=50');
		await page.fill('[data-testid=audit-search] input[name=action]', 'session.create');
		await page.fill('[data-testid=audit-search] input[name=from]', from);
		await page.fill('[data-testid=audit-search] input[name=to]', to);
		await page.press('[data-testid=audit-search] input[name=action]', 'Enter');
		await page.waitForSelector('[data-testid=audit-search][data-query*="from="]');
		const inRange = await pageShown(page, 1);
		eq(inRange, lines(db(`SELECT seq FROM audit_log WHERE action = 'session.create'
			AND at >= '${from}:00+09' AND at < '${to.replace(/\//g, '-')}:00+09' ORDER BY seq DESC LIMIT 50`)),
			'logins in the JST range');
		assert(inRange.length >= 1, 'the range holds the logins');
		eq(await page.inputValue('[data-testid=audit-search] input[name=to]'), to, 'the field shows the time as typed (JST)');
		// A range before any login: nothing.
		await page.fill('[data-testid=audit-search] input[name=from]', '2020/01/01');
		await page.fill('[data-testid=audit-search] input[name=to]', '2020/01/02');
		await page.press('[data-testid=audit-search] input[name=action]', 'Enter');
		await page.waitForSelector('[data-testid=audit-search][data-query*="from=2020"]');
		eq(await pageShown(page, 1), [], 'no logins in 2020');
		eq(await englishLeft(page), [], 'empty result: English left');
		// A malformed time is refused in the form.
		await page.fill('[data-testid=audit-search] input[name=from]', 'tomorrow');
		await page.press('[data-testid=audit-search] input[name=action]', 'Enter');
		await page.waitForSelector('[data-testid=audit-search-error]:not([hidden])');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_audit_verify_shows_sealed_through_seq', async () => {
		const page = await as('br-view', '#/audit?limit=20');
		await pageShown(page, 1);
		await waitSealed();
		const r = await verify(page);
		eq(r.ok, 'true', 'chain ok');
		eq(r.through, chainEnd(), 'sealed through = the last sealed row in chain order');
		assert(r.text.includes(`通番 ${r.through} まで`) && r.text.includes('封印'), `message: ${r.text}`);
		eq(r.color, 'rgb(30, 123, 69)', 'green');
		eq(await englishLeft(page), [], 'verify: English left');
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot(page, 'audit-verify');
		noConsoleErrors(page);
		await page.close();
	});

	test('test_audit_verify_turns_red_after_tampering', async () => {
		const page = await as('br-view', '#/audit?limit=20');
		await pageShown(page, 1);
		await waitSealed();
		const [pos, seq] = db(`SELECT chain_pos, seq FROM audit_log WHERE chain_pos IS NOT NULL
			ORDER BY chain_pos DESC OFFSET 5 LIMIT 1`).split('|');
		tamper(pos, `detail || '{"tampered": true}'`);
		try {
			eq(db(`SELECT detail ? 'tampered' FROM audit_log WHERE seq = ${seq}`), 't', 'the row is changed');
			const r = await verify(page);
			eq(r.ok, 'false', 'chain broken');
			eq(r.bad, seq, 'first bad seq');
			assert(r.text.includes(`通番 ${seq} で`) && r.text.includes('改ざん'), `message: ${r.text}`);
			eq(r.color, 'rgb(180, 35, 24)', 'red');
			assert((await page.textContent('[data-testid=verify-result]')).includes('row does not match its seal'),
				'the reason as the server gives it');
			// The row itself, marked, at the top of the log.
			await page.click('[data-action=show-bad]');
			await page.waitForSelector(`[data-testid=audit-log] tbody tr.row-bad[data-seq="${seq}"]`);
			const shown = await page.$$eval('[data-testid=audit-log] tbody tr[data-seq]', (rs) => rs.map((r) => r.dataset.seq));
			eq(shown, lines(db(`SELECT seq FROM audit_log WHERE seq <= ${seq} ORDER BY seq DESC LIMIT 20`)),
				'the log from the bad row down');
			eq(await page.$eval('tr.row-bad td', (td) => getComputedStyle(td).color), 'rgb(180, 35, 24)', 'the row in red');
			await page.evaluate(() => window.scrollTo(0, 0));
			eq(await englishLeft(page), [], 'bad verify: English left');
			eq(await missingKeys(page), [], 'bad verify: missing keys (ja)');
			await shot(page, 'audit-verify-bad');
			await setLang(page, 'en');
			await pageShown(page, 1);
			const e = await verify(page);
			eq(e.bad, seq, 'first bad seq (en)');
			await page.click('[data-action=show-bad]');
			await page.waitForSelector(`[data-testid=audit-log] tbody tr.row-bad[data-seq="${seq}"]`);
			await page.evaluate(() => window.scrollTo(0, 0));
			assert(e.text.includes(`Tampering detected at seq ${seq}`), `English message: ${e.text}`);
			eq(await missingKeys(page), [], 'bad verify: missing keys (en)');
			await shot(page, 'audit-verify-bad');
			await setLang(page, 'ja');
		} finally {
			tamper(pos, `detail - 'tampered'`);
		}
		const after = await pageFetch(page, 'GET', '/v1/audit/verify');
		eq([after.status, after.body.ok], [200, true], 'chain intact again after the restore');
		noConsoleErrors(page);
		await page.close();
	});
};
