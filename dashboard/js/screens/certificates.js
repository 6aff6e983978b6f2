// certificates: not built yet (issue 12).
import { h } from '../dom.js';
import { t } from '../i18n.js';

export default {
	id: 'certificates',
	nav: 'nav.certificates',
	minRole: 'viewer',
	messages: { ja: { 'nav.certificates': '証明書' }, en: { 'nav.certificates': 'Certificates' } },
	async render(main) {
		main.appendChild(h('h1', t('nav.certificates')));
	},
};
