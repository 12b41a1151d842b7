// The pm console's only script: refreshes server-rendered tables, shows event and log streams, and
// opens the confirmation dialog for action buttons. Everything from the cluster is inserted as text.
(function () {
  'use strict';
  const REFRESH_MS = 1500;
  const KEEP_EVENTS = 300;

  // Tables: the server renders them; this swaps in the newest rendering without reloading the page.
  document.querySelectorAll('[data-refresh]').forEach(function (section) {
    const tick = function () {
      fetch(section.dataset.refresh, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { section.innerHTML = html; section.dataset.refreshed = String(Date.now()); })
        .catch(function () { section.dataset.stale = 'true'; })
        .finally(function () { setTimeout(tick, REFRESH_MS); });
    };
    setTimeout(tick, REFRESH_MS);
  });

  // Events: time, kind, process, node, epoch, detail (tab-separated); migrations also go to the history list.
  document.querySelectorAll('[data-events]').forEach(function (list) {
    const history = list.dataset.history ? document.getElementById(list.dataset.history) : null;
    const source = new EventSource(list.dataset.events);
    source.addEventListener('cluster', function (m) {
      const f = m.data.split('\t');
      const text = f[0] + ' ' + f[1] + (f[2] ? ' ' + f[2] : '') + (f[3] ? ' on ' + f[3] : '') +
        (f[4] && f[4] !== '0' ? ' epoch ' + f[4] : '') + (f[5] ? ': ' + f[5] : '');
      const item = document.createElement('li');
      item.textContent = text;
      item.dataset.kind = f[1];
      list.prepend(item);
      while (list.children.length > KEEP_EVENTS) { list.lastElementChild.remove(); }
      if (history && f[1].indexOf('migration') === 0) {
        const copy = item.cloneNode(true);
        history.prepend(copy);
      }
    });
    source.addEventListener('end', function (m) {
      source.close();
      const item = document.createElement('li');
      item.className = 'end';
      item.textContent = 'stream ended: ' + m.data;
      list.prepend(item);
    });
  });

  // A process's output, as text.
  document.querySelectorAll('[data-log]').forEach(function (pre) {
    const source = new EventSource(pre.dataset.log);
    source.addEventListener('log', function (m) {
      pre.appendChild(document.createTextNode(m.data));
    });
    source.addEventListener('end', function () { source.close(); });
  });

  // Actions: a button only opens the dialog; the form it fills is posted by the dialog's Confirm.
  const dialog = document.getElementById('confirm');
  if (dialog) {
    const form = dialog.querySelector('form');
    document.addEventListener('click', function (e) {
      const button = e.target.closest('button[data-action]');
      if (!button) { return; }
      form.elements.op.value = button.dataset.action;
      form.elements.process.value = button.dataset.process || '';
      form.elements.node.value = button.dataset.node || '';
      form.elements.target.value = '';
      document.getElementById('confirm-target').hidden = button.dataset.action !== 'migrate';
      document.getElementById('confirm-text').textContent = button.dataset.confirm;
      dialog.showModal();
    });
    document.getElementById('confirm-cancel').addEventListener('click', function () { dialog.close(); });
  }
}());
