// operators: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'operators',
	nav: 'nav.operators',
	minRole: 'admin',
	messages: { ja: { 'nav.operators': '運用者' }, en: { 'nav.operators': 'Operators' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.operators')));
	},
};
