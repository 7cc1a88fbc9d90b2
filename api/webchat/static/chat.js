/*
 * sayso web chat: plain JS, no framework, no build step, same-origin requests only.
 * Server text reaches the page through textContent only, never innerHTML.
 *
 * Shared with preview.js as window.SaysoChat:
 *   request(method, url, body?, headers?) -> Promise<JSON>. Sends X-Sayso: 1 and JSON. Rejects
 *     with a SaysoChat.HttpError {status, data} for a 4xx/5xx, or a TypeError when offline.
 *   post(url, body?, headers?) -> request('POST', ...).
 *   mount(options) -> chat. Wires a log, a text box and its answer buttons to a conversation.
 *     options: log, form, text, send, status (elements);
 *       root: element whose lang/dir follow each Turn (the <html> on the child's page);
 *       scope: element whose [data-ui] / [data-ui-placeholder] words follow each Turn's ui;
 *       ui: the words to start with;
 *       call(kind, body) -> Promise<Turn>, kind one of 'open' | 'tap' | 'say' | 'command';
 *       draftKey: sessionStorage key to keep unsent words across a reload (optional);
 *       onTurn(turn), onStop(), onFail(error) -> true when handled (all optional).
 *   chat.send(kind, body, {echo, quiet}) -> Promise<boolean>: echo = the child's own bubble;
 *     quiet = neither move focus nor scroll (the first load).
 *   chat.show(turn, options) renders a Turn; chat.reset() empties the log;
 *   chat.stop(message) shows message and disables input for good.
 */
(function () {
  'use strict';

  // Used only before the server's words arrive (the preview before its first Turn).
  const DEFAULT = {
    sending: 'Sending…',
    offline: 'Sorry, that did not send. Check your internet and try again.',
    you_said: 'You said:',
    bot_said: 'We said:',
  };

  class HttpError extends Error {
    constructor(status, data) {
      super('HTTP ' + status);
      this.status = status;
      this.data = data && typeof data === 'object' ? data : {};
    }
  }

  async function request(method, url, body, headers) {
    const response = await fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: Object.assign({ 'Content-Type': 'application/json', 'X-Sayso': '1' }, headers),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      // Not JSON: a proxy's error page, say. The status alone tells us enough.
    }
    if (!response.ok || data === null) throw new HttpError(response.status, data);
    return data;
  }

  const post = (url, body, headers) => request('POST', url, body, headers);

  // A leading emoji ("😀 Great") is drawn bigger; the words stay in the same button text, so the
  // accessible name is the label exactly. Old browsers without \p{} just show plain labels.
  let EMOJI = null;
  try {
    EMOJI = new RegExp(
      '^(?:\\p{Extended_Pictographic}[\\p{Extended_Pictographic}\\p{Emoji_Modifier}\\u200d\\ufe0f\\u20e3]*\\s*)+',
      'u'
    );
  } catch (e) {
    EMOJI = null;
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function label(button, words) {
    const match = EMOJI ? words.match(EMOJI) : null;
    const lead = match ? match[0].trimEnd() : '';
    button.textContent = '';
    if (lead) {
      button.append(make('span', 'emoji', lead), words.slice(lead.length));
    } else {
      button.textContent = words;
    }
  }

  function relabel(scope, ui) {
    scope.querySelectorAll('[data-ui]').forEach((node) => {
      const words = ui[node.getAttribute('data-ui')];
      if (words) node.textContent = words;
    });
    scope.querySelectorAll('[data-ui-placeholder]').forEach((node) => {
      const words = ui[node.getAttribute('data-ui-placeholder')];
      if (words) node.placeholder = words;
    });
  }

  // Exactly the action the server sent, and nothing else (it refuses unknown fields).
  const orNull = (v) => (v === undefined ? null : v);

  let seq = 0;

  function mount(o) {
    const log = o.log;
    const text = o.text;
    let ui = Object.assign({}, DEFAULT, o.ui);
    let busy = false;
    let stopped = false;
    let touch = false; // the last pointer was a finger: don't pop the keyboard up unasked

    document.addEventListener('pointerdown', (e) => { touch = e.pointerType === 'touch'; }, true);
    document.addEventListener('keydown', () => { touch = false; }, true);

    function status(words) {
      o.status.textContent = words || '';
    }

    function draft(save) {
      if (!o.draftKey) return;
      try {
        if (save === undefined) {
          const kept = sessionStorage.getItem(o.draftKey);
          if (kept && !text.value) text.value = kept;
        } else if (save) {
          sessionStorage.setItem(o.draftKey, save);
        } else {
          sessionStorage.removeItem(o.draftKey);
        }
      } catch (e) {
        // Private mode or storage switched off: the words stay in the box anyway.
      }
    }

    // Each bubble keeps the language and direction it was said in, so an English message
    // stays readable after the child switches to Arabic (and the other way round).
    function bubble(who, words, lang, dir) {
      const id = 'm' + ++seq;
      const box = make('div', 'msg ' + who);
      box.id = id;
      if (lang) box.lang = lang;
      if (dir) box.dir = dir;
      const p = make('p', 'text');
      // Screen readers hear who spoke; everyone else sees it from the side and colour.
      p.append(make('span', 'sr-only', (who === 'bot' ? ui.bot_said : ui.you_said) + ' '));
      const said = make('span', 'words', words);
      said.id = id + '-text';
      if (who === 'you') said.dir = 'auto'; // a child may type in another script
      p.append(said);
      box.append(p);
      return box;
    }

    function botBubble(message, lang, dir) {
      const box = bubble('bot', message.text || '', lang, dir);
      const rows = (message.buttons || []).filter((row) => row && row.length);
      if (!rows.length) return box;
      box.classList.add('has-buttons');
      // An answer to a message we sent them (a check-in's heads-up, "you said, we did"): it
      // stays answerable until they answer it, whatever comes after it.
      if (rows.every((row) => row.every((b) => b.action && b.action.kind === 'respond'))) {
        box.classList.add('keeps-buttons');
      }
      const group = make('div', 'buttons');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-labelledby', box.id + '-text');
      rows.forEach((row) => {
        const line = make('div', 'row');
        row.forEach((b) => {
          const button = make('button', 'choice' + (b.chosen ? ' chosen' : ''));
          button.type = 'button';
          label(button, b.label);
          button.addEventListener('click', () => tap(message, b, button));
          line.append(button);
        });
        group.append(line);
      });
      box.append(group);
      return box;
    }

    function tap(message, b, button) {
      if (busy || stopped || button.disabled) return;
      const a = b.action || {};
      const body = {
        run: typeof message.run === 'number' ? message.run : null,
        action: { kind: a.kind, question_id: orNull(a.question_id), value: orNull(a.value) },
      };
      send('tap', body, {
        echo: b.label,
        done: () => {
          // The answer is given: this message's buttons become history, the pick stays marked.
          button.classList.add('chosen');
          button.closest('.buttons').querySelectorAll('.choice').forEach((c) => { c.disabled = true; });
        },
      });
    }

    async function send(kind, body, opts) {
      opts = opts || {};
      if (busy || stopped) return false;
      busy = true;
      // Only say "Sending…" when it is slow, so screen readers are not told every time.
      const slow = setTimeout(() => status(ui.sending), 600);
      let turn;
      try {
        turn = await o.call(kind, body);
      } catch (error) {
        clearTimeout(slow);
        busy = false;
        fail(error);
        return false;
      }
      clearTimeout(slow);
      busy = false;
      status('');
      if (opts.done) opts.done();
      show(turn, opts);
      return true;
    }

    function fail(error) {
      if (o.onFail && o.onFail(error)) return;
      const status_ = error && error.status;
      const message = error && error.data && error.data.message;
      if (status_ === 401) {
        stop(message || ui.offline);
      } else if (status_ && status_ < 500 && message) {
        status(message);
      } else {
        status(ui.offline); // no network, or the server failed: the words stay in the box
      }
    }

    function show(turn, opts) {
      opts = opts || {};
      let first = null;
      // The child's bubble belongs to the language they were in when they tapped or typed.
      if (opts.echo) {
        first = bubble('you', opts.echo, o.root.lang, o.root.dir);
        log.append(first);
      }
      if (turn.ui) ui = Object.assign({}, DEFAULT, turn.ui);
      if (turn.locale) o.root.lang = turn.locale;
      if (turn.dir) o.root.dir = turn.dir;
      if (turn.ui && o.scope) relabel(o.scope, ui);
      let newest = null;
      (turn.messages || []).forEach((message) => {
        const box = botBubble(message, turn.locale || o.root.lang, turn.dir || o.root.dir);
        log.append(box);
        first = first || box;
        if (box.matches('.has-buttons:not(.keeps-buttons)')) newest = box;
      });
      // Only the newest message's buttons stay live (a tap on an old one would be out of date),
      // and the answers to our own messages until they are answered.
      if (newest) {
        log.querySelectorAll('.choice').forEach((c) => {
          if (!newest.contains(c) && !c.closest('.keeps-buttons')) c.disabled = true;
        });
      }
      if (stopped) log.querySelectorAll('.choice').forEach((c) => { c.disabled = true; });
      if (first && !opts.quiet) place(first, newest);
      if (o.onTurn) o.onTurn(turn);
    }

    function place(first, newest) {
      const target = newest && newest.querySelector('.choice:not(:disabled)');
      if (target) {
        target.focus({ preventScroll: true });
      } else if (!text.disabled && (!touch || document.activeElement === text)) {
        text.focus({ preventScroll: true });
      }
      const still = window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches;
      // The top of what is new, so a long message is read from its start.
      first.scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
    }

    function stop(message) {
      stopped = true;
      status(message);
      text.disabled = true;
      o.send.disabled = true;
      log.querySelectorAll('.choice').forEach((c) => { c.disabled = true; });
      if (o.onStop) o.onStop();
    }

    function sayTyped() {
      const words = text.value;
      if (!words.trim()) {
        text.focus();
        return;
      }
      send('say', { text: words }, { echo: words }).then((ok) => {
        if (!ok) return;
        // Keep anything typed while the message was on its way.
        text.value = text.value.startsWith(words) ? text.value.slice(words.length).trimStart() : text.value;
        draft(text.value);
      });
    }

    o.form.addEventListener('submit', (e) => {
      e.preventDefault();
      sayTyped();
    });
    text.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line; never while an input method is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        sayTyped();
      }
    });
    text.addEventListener('input', () => draft(text.value));
    draft();

    return {
      send: send,
      show: show,
      stop: stop,
      reset: () => { log.textContent = ''; status(''); },
      get ui() { return ui; },
    };
  }

  window.SaysoChat = { HttpError, request, post, mount, relabel, label };

  // ---- The child's page ----

  function startChild() {
    const $ = (id) => document.getElementById(id);
    let ui = {};
    try {
      ui = JSON.parse($('ui').textContent);
    } catch (e) {
      ui = {};
    }
    const menuButton = $('menu-button');
    const menu = $('menu');
    let opened = false;
    let unseen = false;
    // One id for each thing the child sends, kept until it goes through: sending the same
    // again after a failure is the same turn, so an alert it raised is not raised twice.
    let sending = null;
    function turnId(kind, body) {
      const key = kind + JSON.stringify(body === undefined ? null : body);
      if (!sending || sending.key !== key) {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        const id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
        sending = { key: key, id: id };
      }
      return sending.id;
    }

    const chat = mount({
      root: document.documentElement,
      scope: document.body,
      ui: ui,
      log: $('log'),
      form: $('say'),
      text: $('text'),
      send: $('send'),
      status: $('status'),
      draftKey: 'sayso.draft',
      call: (kind, body) => post('/chat/api/' + kind, body, { 'X-Sayso-Turn': turnId(kind, body) }),
      onTurn: (turn) => {
        sending = null;
        const words = chat.ui;
        // In another tab: say so in the tab's title until they come back.
        unseen = document.hidden && (turn.messages || []).length > 0;
        document.title = (unseen ? words.new_messages + ' · ' : '') + words.title;
      },
      onStop: () => {
        close(false);
        menuButton.disabled = true;
      },
    });

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && unseen) {
        unseen = false;
        document.title = chat.ui.title;
      }
      if (!document.hidden && !opened) open();
      if (!document.hidden && opened) fetchWaiting();
    });
    // Messages sent to them while the page is open (a check-in, "you said, we did") appear
    // when they come back to it, or within two minutes.
    setInterval(() => { if (!document.hidden && opened) fetchWaiting(); }, 120000);

    function fetchWaiting() {
      // Not through chat.send: a tap or words on their way must never wait for this.
      post('/chat/api/waiting')
        .then((turn) => { if ((turn.messages || []).length) chat.show(turn, { quiet: true }); })
        .catch(() => {}); // offline: the next try, or the next open, brings them
    }
    window.addEventListener('online', () => { if (!opened) open(); });

    function open() {
      chat.send('open', undefined, { quiet: true }).then((ok) => { opened = opened || ok; });
    }

    function close(refocus) {
      menu.hidden = true;
      menuButton.setAttribute('aria-expanded', 'false');
      if (refocus) menuButton.focus();
    }

    menuButton.addEventListener('click', () => {
      if (!menu.hidden) return close(true);
      menu.hidden = false;
      menuButton.setAttribute('aria-expanded', 'true');
      menu.querySelector('button').focus();
    });
    menu.addEventListener('click', (e) => {
      const item = e.target.closest('button');
      if (!item) return;
      close(true);
      if (item.dataset.command) {
        chat.send('command', { name: item.dataset.command }, { echo: item.textContent });
      } else if (item.dataset.signout) {
        // A shared phone: forget this browser; the words say how to come back.
        post('/chat/api/sign-out')
          .then((done) => chat.stop(done.message))
          .catch(() => chat.stop(chat.ui.offline));
      }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !menu.hidden) {
        e.preventDefault();
        close(true);
      }
    });

    open();
  }

  if (document.body && document.body.dataset.page === 'chat') startChild();
})();
