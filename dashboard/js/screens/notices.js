// notices: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'notices',
	nav: 'nav.notices',
	minRole: 'viewer',
	messages: { ja: { 'nav.notices': '通知' }, en: { 'nav.notices': 'Expiry notices' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.notices')));
	},
};
