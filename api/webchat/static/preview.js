/*
 * sayso staff preview: try any conversation, language and reading mode as a child sees it.
 * Nothing is stored as feedback. Reuses window.SaysoChat (chat.js) to draw and run the chat.
 *
 * Signing in: a key in the address's fragment (#key=..., printed by `sayso serve`), or an email
 * and password swapped for a token at /auth/token. Either is kept in sessionStorage for this tab
 * only and sent as "Authorization: Bearer ..." on every preview call.
 */
(function () {
  'use strict';

  const S = window.SaysoChat;
  const $ = (id) => document.getElementById(id);
  const STORE = 'sayso.preview.token';
  const READING = { standard: 'Standard', easy: 'Easy read' };

  const signin = $('signin');
  const setup = $('setup');
  const errors = $('preview-errors');
  const start = $('preview-start');
  const chatBox = $('preview-chat');
  const notesList = $('notes-list');
  const notesEmpty = document.querySelector('.notes-empty');
  const signout = $('preview-signout');

  let token = null;
  let previewId = null;
  let blocked = false; // the content on disk has mistakes: no Start until they are fixed

  try {
    token = sessionStorage.getItem(STORE);
  } catch (e) {
    token = null;
  }

  // The fragment never reaches the server; clear it at once so the key does not linger in the
  // address bar, the history or a screenshot.
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('key');
  if (fromHash) {
    keep(fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }

  function keep(value) {
    token = value;
    try {
      if (value) sessionStorage.setItem(STORE, value);
      else sessionStorage.removeItem(STORE);
    } catch (e) {
      // Storage switched off: the token lives in memory for this page.
    }
  }

  const auth = () => ({ Authorization: 'Bearer ' + token });

  function why(error) {
    if (!error || !error.status) return 'the server could not be reached.';
    const detail = error.data && error.data.detail;
    if (typeof detail === 'string') return detail;
    return detail ? JSON.stringify(detail) : 'the server answered ' + error.status + '.';
  }

  function showErrors(heading, lines) {
    errors.textContent = '';
    if (!heading) return;
    errors.append(Object.assign(document.createElement('h2'), { textContent: heading }));
    if (lines && lines.length) {
      const list = document.createElement('ul');
      lines.forEach((line) => list.append(Object.assign(document.createElement('li'), { textContent: line })));
      errors.append(list);
    }
  }

  function signedOut(message) {
    keep(null);
    previewId = null;
    setup.hidden = true;
    chatBox.hidden = true;
    signout.hidden = true;
    showErrors(null);
    signin.hidden = false;
    $('signin-error').textContent = message || '';
    $('signin-email').focus();
  }

  function fill(select, items) {
    select.textContent = '';
    items.forEach((item) => select.append(new Option(item[1], item[0])));
  }

  async function load() {
    signin.hidden = true;
    signout.hidden = false;
    let options;
    try {
      options = await S.request('GET', '/preview/api/options', undefined, auth());
    } catch (error) {
      if (error.status === 401) return signedOut('Please sign in.');
      setup.hidden = true;
      return showErrors('Could not load what there is to preview: ' + why(error));
    }
    fill($('preview-conversation'), (options.conversations || []).map((c) => [c.id, c.title + ' (' + c.id + ')']));
    fill($('preview-language'), (options.languages || []).map((l) => [l.code, l.name + ' (' + l.code + ')']));
    fill($('preview-reading'), (options.reading_modes || []).map((m) => [m, READING[m] || m]));
    const problems = options.errors || [];
    blocked = problems.length > 0;
    start.hidden = blocked;
    start.disabled = blocked;
    showErrors(blocked ? 'The content has mistakes, so it cannot be previewed. Fix these, then press "Check the content again":' : null, problems);
    setup.hidden = false;
  }

  function note(lines) {
    (lines || []).forEach((line) => notesList.append(Object.assign(document.createElement('li'), { textContent: line })));
    notesEmpty.hidden = notesList.children.length > 0;
  }

  const chat = S.mount({
    root: $('chat-area'),
    scope: $('chat-area'),
    ui: {},
    log: $('log'),
    form: $('say'),
    text: $('text'),
    send: $('send'),
    status: $('status'),
    call: (kind, body) => S.post('/preview/api/' + kind, Object.assign({ preview_id: previewId }, body), auth()),
    onTurn: (turn) => note(turn.notes),
    onFail: (error) => {
      if (error.status === 401) {
        signedOut('Your sign-in has ended. Please sign in again.');
        return true;
      }
      if (error.status) {
        // Staff need the reason (a preview that ended, a content mistake), not kind words;
        // shown beside the text box, where they are looking.
        $('status').textContent = 'That did not work: ' + why(error);
        return true;
      }
      return false; // offline: the chat's status line says so and the words stay in the box
    },
  });

  signin.addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = $('signin-email').value.trim();
    const password = $('signin-password').value;
    $('signin-error').textContent = '';
    try {
      const answer = await S.post('/auth/token', { email: email, password: password });
      keep(answer.access_token);
    } catch (error) {
      $('signin-error').textContent =
        error.status === 401 ? 'That email and password did not match. Try again.'
          : error.status === 429 ? 'Too many tries. Wait a minute, then try again.'
            : 'Could not sign in: ' + why(error);
      return;
    }
    $('signin-password').value = '';
    await load();
    if (!setup.hidden) $('preview-conversation').focus();
  });

  setup.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (blocked) return;
    start.disabled = true;
    let turn;
    try {
      turn = await S.post('/preview/api/start', {
        conversation_id: $('preview-conversation').value,
        locale: $('preview-language').value,
        reading_mode: $('preview-reading').value,
      }, auth());
    } catch (error) {
      start.disabled = blocked;
      if (error.status === 401) return signedOut('Your sign-in has ended. Please sign in again.');
      return showErrors('Could not start the preview: ' + why(error));
    }
    start.disabled = blocked;
    showErrors(null);
    previewId = turn.preview_id;
    notesList.textContent = '';
    note([]);
    chat.reset();
    chatBox.hidden = false;
    chat.show(turn);
  });

  $('preview-recheck').addEventListener('click', () => load());

  signout.addEventListener('click', () => signedOut(''));

  if (token) load();
  else signedOut('');
})();
