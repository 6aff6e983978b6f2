// Runs every tests/browser/t_*.mjs in name order against the console run.sh
// started. Each file's default export is async (test) => { test(name, fn) ... }.
// Prints "ok - NAME" / "not ok - NAME: why" and "N passed, N failed" last.
// BR_ONLY=regex runs only the matching tests (while iterating).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, close } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BR_ONLY ? new RegExp(process.env.BR_ONLY) : null;
let passed = 0;
let failed = 0;

const files = readdirSync(here).filter((f) => /^t_.*\.mjs$/.test(f)).sort();
await launch();
try {
	for (const f of files) {
		const tests = [];
		const mod = await import(join(here, f));
		await mod.default((name, fn, opts) => tests.push({ name, fn, opts: opts || {} }));
		for (const { name, fn, opts } of tests) {
			if (only && !only.test(name))
				continue;
			const t0 = Date.now();
			try {
				await Promise.race([fn(), new Promise((_, rej) => setTimeout(() =>
					rej(new Error('timed out')), opts.timeout || 90000))]);
				console.log(`ok - ${name} (${Date.now() - t0} ms)`);
				passed++;
			} catch (e) {
				console.log(`not ok - ${name}: ${String(e && e.stack || e).split('\n').slice(0, 16).join(' | ')}`);
				failed++;
			}
		}
	}
} finally {
	await close().catch(() => {});
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
