// Choosing people where the unit may have thousands: a search box over GET /staff?q= (name or
// phone; the API's pages of 50) feeding a list, and names for staff ids that are not on the
// page at hand (GET /staff/{id}, remembered).
import { get, qs } from './api.js';
import { h, clear } from './ui.js';

const names = new Map();

// The name of staff `id` ("姓名（手机号）"), or the id when it cannot be read.
export async function staffName(id) {
  if (!names.has(id)) {
    names.set(id, get('staff/' + encodeURIComponent(id)).then((s) => s.name).catch(() => id));
  }
  return names.get(id);
}

// A text node that fills in with the staff member's name.
export function nameOf(id) {
  const t = document.createTextNode(id);
  staffName(id).then((n) => { t.textContent = n; });
  return t;
}

// A search box and a <select name=`name`> of the matching serving staff (first page of 50;
// more narrow the search). `exclude`: ids not offered. `multiple`: a multi-select keeping
// the `selected` ids even when a search hides them.
export function staffPicker(name, { exclude = [], multiple = false, selected = [] } = {}) {
  const keep = new Set(selected);
  const search = h('input.picker-q', { type: 'search', placeholder: '输入姓名或手机号搜索', 'aria-label': '搜索人员', autocomplete: 'off' });
  const sel = h('select', { name, multiple, size: multiple ? 6 : null });
  const more = h('div.hint.picker-more', { 'aria-live': 'polite' });
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const q = search.value.trim();
    let r;
    try {
      r = await get('staff' + qs({ q, page: 1 }));
    } catch (e) {
      more.textContent = e.message;
      return;
    }
    if (mine !== seq) return;
    for (const o of sel.selectedOptions) keep.add(o.value);
    if (multiple) for (const o of sel.options) if (!o.selected) keep.delete(o.value);
    const people = r.items.filter((s) => !s.resigned && !exclude.includes(s.id));
    r.items.forEach((s) => names.set(s.id, Promise.resolve(s.name)));
    const shown = new Set(people.map((s) => s.id));
    const kept = multiple ? [...keep].filter((id) => !shown.has(id)) : [];
    clear(sel,
      kept.map((id) => h('option', { value: id, selected: true }, nameOf(id))),
      people.map((s) => h('option', { value: s.id, selected: keep.has(s.id) }, `${s.name}（${s.phone}）`)));
    more.textContent = r.pages > 1
      ? `共 ${r.total ?? '多'} 人，显示前 ${r.items.length} 人，请输入姓名或手机号缩小范围`
      : people.length ? '' : '没有符合条件的人员';
  };
  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); load(); } });
  load();
  return h('div.picker', search, sel, more);
}
