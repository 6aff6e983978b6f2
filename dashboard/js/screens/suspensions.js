// suspensions: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'suspensions',
	nav: 'nav.suspensions',
	minRole: 'viewer',
	messages: { ja: { 'nav.suspensions': '一時停止' }, en: { 'nav.suspensions': 'Suspensions' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.suspensions')));
	},
};
