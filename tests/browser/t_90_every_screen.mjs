// Every screen of the navigation, as an admin (who sees them all): in
// Japanese no English word is left (outside data marked translate="no"), in
// English no Japanese is left and no key is missing; a screenshot of each in
// both languages; the keyboard reaches every screen.
import { pageAs, shot, englishLeft, missingKeys, setLang, sleep } from './lib.mjs';
import assert from 'node:assert/strict';

// Visible Japanese text outside translate="no" (English mode must have none).
async function japaneseLeft(page) {
	return page.evaluate(() => {
		const out = [];
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!el || el.closest('[translate=no], script, style, [lang=ja]'))
				continue;
			const r = el.getBoundingClientRect();
			if (!r.width && !r.height)
				continue;
			if (/[\u3040-\u30ff\u4e00-\u9fff]/.test(n.textContent))
				out.push(n.textContent.trim().slice(0, 60));
		}
		return out;
	});
}

async function settle(page) {
	await page.waitForSelector('main h1');
	await page.waitForLoadState('networkidle').catch(() => {});
	await sleep(250);
}

export default async function (test) {
	test('test_every_screen_in_japanese_and_english_with_screenshots', async () => {
		const page = await pageAs('br-adm', '#/overview');
		const ids = await page.$$eval('nav.side a', (as) => as.map((a) => a.dataset.nav));
		assert.deepEqual(ids, ['overview', 'certificates', 'crls', 'relying-parties', 'terminals',
			'suspensions', 'notices', 'audit', 'operators']);
		const problems = [];
		for (const id of ids) {
			await setLang(page, 'ja');
			await page.click(`nav.side a[data-nav="${id}"]`);
			await settle(page);
			const ja = {
				h1: await page.textContent('main h1'),
				nav: await page.$$eval('nav.side a', (as) => as.map((a) => a.textContent)),
				english: await englishLeft(page),
				missing: await missingKeys(page),
			};
			await shot(page, `screen-${id}`);
			await setLang(page, 'en');
			await settle(page);
			const en = {
				h1: await page.textContent('main h1'),
				nav: await page.$$eval('nav.side a', (as) => as.map((a) => a.textContent)),
				japanese: await japaneseLeft(page),
				missing: await missingKeys(page),
			};
			await shot(page, `screen-${id}`);
			if (ja.english.length)
				problems.push(`${id} ja: English left: ${ja.english.join(', ')}`);
			if (ja.missing.length || en.missing.length)
				problems.push(`${id}: missing keys ${[...ja.missing, ...en.missing].join(', ')}`);
			if (en.japanese.length)
				problems.push(`${id} en: Japanese left: ${en.japanese.join(' / ')}`);
			if (ja.h1 === en.h1)
				problems.push(`${id}: heading "${ja.h1}" is the same in both languages`);
			ja.nav.forEach((n, i) => {
				if (n === en.nav[i])
					problems.push(`${id}: nav "${n}" is the same in both languages`);
			});
		}
		await setLang(page, 'ja');
		await page.close();
		assert.deepEqual(problems, []);
	}, { timeout: 180000 });

	test('test_keyboard_reaches_every_screen_from_the_navigation', async () => {
		const page = await pageAs('br-adm', '#/overview');
		const ids = await page.$$eval('nav.side a', (as) => as.map((a) => a.dataset.nav));
		// Tab from the top of the page until the navigation link has focus, then Enter.
		for (const id of ids.slice(1)) {
			await page.focus('header.top a.skip');	// the first stop of the page
			let found = false;
			for (let i = 0; i < 40 && !found; i++) {
				await page.keyboard.press('Tab');
				found = await page.evaluate((x) => document.activeElement?.dataset?.nav === x, id);
			}
			assert.ok(found, `Tab reaches the ${id} link`);
			await page.keyboard.press('Enter');
			await page.waitForFunction((x) => location.hash.startsWith('#/' + x), id);
			await page.waitForSelector(`nav.side a[aria-current=page][data-nav="${id}"]`);
			// the heading of the new screen has the focus (screen readers start there)
			await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
		}
		await page.close();
	}, { timeout: 120000 });
}
