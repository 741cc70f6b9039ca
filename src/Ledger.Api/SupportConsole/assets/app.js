// The console's shell: sign in and out, and a hash router (#/overview, #/accounts, #/accounts/{id}) so the service
// serves one page and every view is a link that can be bookmarked or opened in a new tab.
import { api, session, whenUnauthorized, describe } from './api.js';
import { say, warn, put } from './dom.js';
import { renderOverview } from './overview.js';
import { renderAccounts } from './accounts.js';
import { renderAccount } from './account.js';

const $ = (id) => document.getElementById(id);
let generation = 0;

function showSignIn(message) {
  $('nav').hidden = true;
  $('who').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  if (message) warn(message);
  $('api-key').value = '';
  $('api-key').focus();
}

function showConsole() {
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  const key = session.key ?? '';
  $('who-key').textContent = `Signed in with ${key.slice(0, 12)}…`;
}

async function route() {
  if (!session.key) return showSignIn();
  showConsole();
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/overview';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const segments = path.split('/').filter(Boolean);
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.route === segments[0]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = $('view');
  const mine = ++generation;
  const current = () => mine === generation; // a slower earlier view must not overwrite a later one
  put(view);
  if (segments[0] === 'accounts' && segments[1]) await renderAccount(view, segments.slice(1).join('/'), params, current);
  else if (segments[0] === 'accounts') await renderAccounts(view, params, current);
  else await renderOverview(view, current);
  if (current()) view.querySelector('h1')?.focus();
}

whenUnauthorized(({ problem }) => {
  session.signOut();
  showSignIn(`Signed out: the key was refused (${describe(problem)}).`);
});

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) {
    warn('Enter an API key.');
    $('api-key').focus();
    return;
  }
  session.signIn(key);
  const probe = await api('/v1/accounts?limit=1');
  if (probe.status === 401) return; // whenUnauthorized signed out and said why
  if (!probe.ok && probe.status !== 403) {
    session.signOut();
    warn(`Could not sign in: ${describe(probe.problem)}`);
    return;
  }
  $('api-key').value = '';
  say('Signed in.');
  if (!location.hash || location.hash === '#') location.hash = '#/overview';
  else await route();
});

$('sign-out').addEventListener('click', () => {
  session.signOut();
  history.replaceState(null, '', '#/overview');
  say('Signed out.');
  showSignIn();
});

window.addEventListener('hashchange', route);
route();
