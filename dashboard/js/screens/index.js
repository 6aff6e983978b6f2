// The console's screens, in navigation order. A screen module's default
// export is:
//   id        the hash route (#/<id>/<rest...>?<params>)
//   nav       i18n key of its name (navigation, page title, <h1>)
//   minRole   least role that sees it in the navigation ('viewer' if absent)
//   messages  { ja: {...}, en: {...} } registered at start
//   render(main, ctx)  fill main (async). ctx: params (URLSearchParams),
//             rest (path segments after the id), navigate(hash), can(role),
//             session, every(ms, fn) (cleared on leaving), onLeave(fn),
//             current() (false once the operator went elsewhere).
// render is called again on a language switch, so it must build from scratch.
// Buttons an operator's role may not use are not rendered at all (can()).
import overview from './overview.js';
import certificates from './certificates.js';
import crls from './crls.js';
import relyingParties from './relying_parties.js';
import terminals from './terminals.js';
import suspensions from './suspensions.js';
import notices from './notices.js';
import audit from './audit.js';
import operators from './operators.js';

export const screens = [overview, certificates, crls, relyingParties, terminals, suspensions,
	notices, audit, operators];
