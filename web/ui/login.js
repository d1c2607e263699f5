/** The log-in page: one form; on success, back to where the user was going or to the role's home page. */
import { login, me } from './api.js';
import { applyTranslations, initLang, onLangChange, t } from './i18n.js';
import { byTestId, homeFor, renderHeader, showError, showMessage } from './page.js';

const { document, location, URLSearchParams } = globalThis;

/** Only a path on this hub: never `//other.host` or an absolute URL (open redirect). */
export function safeNext(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return null;
  if (value === '/' || value.startsWith('/login')) return null;
  return value;
}

async function main() {
  initLang(null);
  applyTranslations(document);
  renderHeader(null);
  onLangChange(() => {
    applyTranslations(document);
    renderHeader(null);
  });

  const next = safeNext(new URLSearchParams(location.search).get('next'));
  const form = byTestId('login-form');
  const error = byTestId('login-error');
  const nameInput = byTestId('login-name');
  const passwordInput = byTestId('login-password');
  const submit = byTestId('login-submit');

  try {
    const session = await me();
    if (session) {
      location.replace(next ?? homeFor(session.user.role));
      return;
    }
  } catch {
    // The hub answers the form itself; a failed check here is not worth a message.
  }
  nameInput.focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    const password = passwordInput.value;
    for (const input of [nameInput, passwordInput]) input.removeAttribute('aria-invalid');
    if (!name || !password) {
      const missing = !name ? nameInput : passwordInput;
      missing.setAttribute('aria-invalid', 'true');
      showMessage(error, 'error', t('login.missing'));
      missing.focus();
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      const session = await login(name, password);
      initLang(session.user.locale);
      location.assign(next ?? homeFor(session.user.role));
    } catch (e) {
      passwordInput.value = '';
      showError(error, e);
      passwordInput.focus();
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
}

void main();
