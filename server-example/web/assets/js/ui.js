// Small DOM helpers shared by every screen: elements, forms whose errors appear next to the
// field they concern, dialogs, messages, tables and dates.

// h('div.card#id', {attrs}, children...) — an element. Attributes starting with "on" are
// listeners; `null`/`false` children are skipped.
export function h(tag, attrs, ...children) {
  const m = tag.match(/^([a-z0-9]+)((?:[.#][\w-]+)*)$/i);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1)); else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, x] of Object.entries(v)) {
        if (p.startsWith('--')) el.style.setProperty(p, x); else el.style[p] = x;
      }
    }
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

let fieldSeq = 0;

// A labelled field: the error span after the input carries errors for that `name`.
export function field(label, input, { hint, required } = {}) {
  const named = input.name ? input : input.querySelector('[name]') || input;
  fieldSeq += 1;
  const id = named.id || (named.id = `f-${named.name || 'x'}-${fieldSeq}`);
  return h('div.field', { 'data-field': named.name || '' },
    h('label', { for: id }, required ? h('span.req', '*') : null, label),
    input,
    hint ? h('div.hint', hint) : null,
    h('div.error', { role: 'alert', id: id + '-err' }));
}

export const input = (name, attrs = {}) => h('input', { name, type: 'text', ...attrs });
export function select(name, options, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map(([v, t]) => h('option', { value: v }, t)));
}

// Shows an error next to the field it concerns (problem.field, e.g. "seals[0].stamps[1]"
// → the field named "seals" if no exact one), or at the top of the form.
export function showError(form, err) {
  clearErrors(form);
  const name = err.field || '';
  const candidates = [name, name.replace(/\[.*$/, ''), name.split('.').pop()];
  for (const c of candidates) {
    if (!c) continue;
    const f = form.querySelector(`.field[data-field="${CSS.escape(c)}"]`);
    if (f) {
      f.classList.add('invalid');
      f.querySelector('.error').textContent = err.message;
      const i = f.querySelector('input,select,textarea');
      if (i) { i.setAttribute('aria-invalid', 'true'); i.focus(); }
      return;
    }
  }
  let top = form.querySelector(':scope > .form-error');
  if (!top) { top = h('div.form-error', { role: 'alert' }); form.prepend(top); }
  top.textContent = err.message;
}

export function clearErrors(form) {
  form.querySelectorAll('.field.invalid').forEach((f) => {
    f.classList.remove('invalid');
    f.querySelector('.error').textContent = '';
    f.querySelector('[aria-invalid]')?.removeAttribute('aria-invalid');
  });
  form.querySelector(':scope > .form-error')?.remove();
}

// A form whose submit runs `action(values)`; errors are shown in place, the button is
// disabled while the request runs.
export function form(children, action, { submit = '确定', cls = '' } = {}) {
  const f = h('form.form' + (cls ? '.' + cls : ''), { novalidate: true }, children,
    h('div.actions', h('button.btn.primary', { type: 'submit' }, submit)));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await action(values(f), f);
    } catch (e) {
      showError(f, e);
    } finally {
      btn.disabled = false;
    }
  });
  return f;
}

export function values(f) {
  const o = {};
  for (const el of f.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') o[el.name] = el.checked;
    else if (el.type === 'file') o[el.name] = el.files;
    else if (el.type === 'radio') { if (el.checked) o[el.name] = el.value; }
    else o[el.name] = el.value.trim();
  }
  return o;
}

// A modal dialog (native <dialog>: focus trapped, Esc closes). Returns {el, close}.
export function dialog(title, body, { wide } = {}) {
  const d = h('dialog.dialog' + (wide ? '.wide' : ''), { 'aria-label': title },
    h('header', h('h2', title), h('button.close', { type: 'button', 'aria-label': '关闭', onclick: () => close() }, '×')),
    h('div.dialog-body', body));
  const close = () => { d.close(); d.remove(); };
  d.addEventListener('cancel', () => d.remove());
  document.body.append(d);
  d.showModal();
  return { el: d, close };
}

// Asks for a confirmation; resolves true/false.
export function confirmBox(title, text, { danger, ok = '确定' } = {}) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); dlg.close(); } };
    const dlg = dialog(title, [
      h('p', text),
      h('div.actions',
        h('button.btn', { type: 'button', onclick: () => finish(false) }, '取消'),
        h('button.btn' + (danger ? '.danger' : '.primary'), { type: 'button', onclick: () => finish(true) }, ok)),
    ]);
    dlg.el.addEventListener('close', () => finish(false));
  });
}

export function toast(text, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) { box = h('div#toasts', { 'aria-live': 'polite' }); document.body.append(box); }
  const t = h('div.toast.' + kind, text);
  box.append(t);
  setTimeout(() => t.remove(), 4000);
}

export function table(columns, rows, { empty = '暂无数据' } = {}) {
  return h('table.table',
    h('thead', h('tr', columns.map((c) => h('th', c[0])))),
    h('tbody', rows.length
      ? rows.map((r) => h('tr', columns.map((c) => h('td', c[1](r)))))
      : h('tr', h('td.empty', { colspan: columns.length }, empty))));
}

export function pager(page, pages, go) {
  if (!pages || pages <= 1) return null;
  return h('nav.pager', { 'aria-label': '分页' },
    h('button.btn.small', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '上一页'),
    h('span', ` 第 ${page} / ${pages} 页 `),
    h('button.btn.small', { type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, '下一页'));
}

export function fmtTime(t) {
  if (!t) return '—';
  const d = new Date(t * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fmtSize(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KB';
  return (n / (1 << 20)).toFixed(1) + ' MB';
}

export function badge(text, kind = '') { return h('span.badge' + (kind ? '.' + kind : ''), text); }

// Reads a File as base64 (no data: prefix).
export function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export function pageHeader(title, ...actions) {
  return h('div.page-header', h('h1', title), h('div.page-actions', actions));
}
