// The JavaScript that runs inside the QuickJS sandbox for a node's expressions and Code: n8n's
// names ($json, $input, $('Node'), $node, $items, $runIndex, $itemIndex, $workflow, $execution,
// $prevNode, $now, $today, DateTime/Duration/Interval from Luxon, $if, $ifEmpty, $min, $max)
// and the common extension methods of n8n expressions. It is guest source text, so it is kept
// as a string; nothing here runs in the host.

/** Intl for Luxon: each object lives in the host thread and is reached through `api.intl`. */
const INTL_SHIM = String.raw`
(function () {
  function kind(name, methods) {
    function C(locales, options) {
      if (!(this instanceof C)) return new C(locales, options);
      var made = api.intl.make(name, locales === undefined ? null : locales, options === undefined ? null : options);
      this.__id = made.id;
      this.__resolved = made.resolved;
    }
    C.prototype.resolvedOptions = function () { return this.__resolved; };
    C.supportedLocalesOf = function (l) { return api.intl.supported(name, l === undefined ? null : l); };
    methods.forEach(function (m) {
      C.prototype[m] = function () {
        var args = Array.prototype.slice.call(arguments).map(function (a) { return a instanceof Date ? a.getTime() : a; });
        return api.intl.call(this.__id, m, args);
      };
    });
    return C;
  }
  globalThis.Intl = {
    DateTimeFormat: kind('DateTimeFormat', ['format', 'formatToParts']),
    NumberFormat: kind('NumberFormat', ['format', 'formatToParts']),
    RelativeTimeFormat: kind('RelativeTimeFormat', ['format', 'formatToParts']),
    ListFormat: kind('ListFormat', ['format']),
    getCanonicalLocales: function (l) { return api.intl.canonical(l === undefined ? null : l); },
  };
  Date.prototype.toLocaleString = function (l, o) { return new Intl.DateTimeFormat(l, o).format(this); };
  Number.prototype.toLocaleString = function (l, o) { return new Intl.NumberFormat(l, o).format(this); };
})();
`;

/** Extension methods of n8n expressions, defined non-enumerable on the guest's prototypes. */
const EXTENSIONS = String.raw`
(function () {
  function def(proto, name, fn) { Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false }); }
  function isEmptyValue(v) {
    if (v === null || v === undefined || v === '') return true;
    if (Array.isArray(v)) return v.length === 0;
    if (typeof v === 'object') return Object.keys(v).length === 0;
    return false;
  }
  function dt(v) { if (typeof luxon === 'undefined') throw new Error('date functions are not loaded'); return v; }
  var S = String.prototype, A = Array.prototype, N = Number.prototype, O = Object.prototype, B = Boolean.prototype;
  def(S, 'isEmpty', function () { return this.length === 0; });
  def(S, 'isNotEmpty', function () { return this.length > 0; });
  def(S, 'toNumber', function () { var n = Number(this); if (isNaN(n)) throw new Error('cannot convert to number'); return n; });
  def(S, 'toInt', function () { return parseInt(this, 10); });
  def(S, 'toFloat', function () { return parseFloat(this); });
  def(S, 'toBoolean', function () { var s = this.trim().toLowerCase(); return !(s === 'false' || s === '0' || s === 'no' || s === ''); });
  def(S, 'toDateTime', function () { dt(); var s = String(this); var d = luxon.DateTime.fromISO(s); if (!d.isValid) d = luxon.DateTime.fromRFC2822(s); if (!d.isValid) d = luxon.DateTime.fromHTTP(s); if (!d.isValid) d = luxon.DateTime.fromJSDate(new Date(s)); return d; });
  def(S, 'isEmail', function () { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(this); });
  def(S, 'isNumeric', function () { return this.trim() !== '' && !isNaN(Number(this)); });
  def(S, 'isUrl', function () { return /^https?:\/\/[^\s]+$/i.test(this); });
  def(S, 'isDomain', function () { return /^([a-z0-9-]+\.)+[a-z]{2,}$/i.test(this); });
  def(S, 'extractEmail', function () { var m = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[A-Za-z]{2,}/.exec(this); return m ? m[0] : undefined; });
  def(S, 'extractUrl', function () { var m = /https?:\/\/[^\s"'<>]+/i.exec(this); return m ? m[0] : undefined; });
  def(S, 'extractDomain', function () {
    var s = String(this).trim(); var at = s.lastIndexOf('@');
    if (at >= 0) return s.slice(at + 1);
    var m = /^(?:[a-z]+:\/\/)?([^/:?#\s]+)/i.exec(s); return m ? m[1].replace(/^www\./, '') : undefined;
  });
  def(S, 'extractUrlPath', function () { var m = /^[a-z]+:\/\/[^/]+(\/[^?#]*)/i.exec(this); return m ? m[1] : undefined; });
  def(S, 'removeTags', function () { return this.replace(/<[^>]*>/g, ''); });
  def(S, 'removeMarkdown', function () { return this.replace(/[*_~#>\x60]/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'); });
  def(S, 'replaceSpecialChars', function () { return this.normalize('NFD').replace(/[\u0300-\u036f]/g, ''); });
  def(S, 'toTitleCase', function () { return this.replace(/\w\S*/g, function (w) { return w.charAt(0).toUpperCase() + w.slice(1).toLowerCase(); }); });
  def(S, 'toSentenceCase', function () { var s = this.toLowerCase(); return s.charAt(0).toUpperCase() + s.slice(1); });
  def(S, 'toSnakeCase', function () { return this.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/[\s-]+/g, '_').toLowerCase(); });
  def(S, 'urlEncode', function (all) { return all ? encodeURIComponent(this) : encodeURI(this); });
  def(S, 'urlDecode', function (all) { return all ? decodeURIComponent(this) : decodeURI(this); });
  def(S, 'quote', function (q) { q = q || '"'; return q + this.split(q).join('\\' + q) + q; });
  def(S, 'parseJson', function () { return JSON.parse(this); });
  def(A, 'first', function () { return this[0]; });
  def(A, 'last', function () { return this[this.length - 1]; });
  def(A, 'isEmpty', function () { return this.length === 0; });
  def(A, 'isNotEmpty', function () { return this.length > 0; });
  def(A, 'sum', function () { return this.reduce(function (a, b) { return a + Number(b); }, 0); });
  def(A, 'min', function () { return Math.min.apply(null, this); });
  def(A, 'max', function () { return Math.max.apply(null, this); });
  def(A, 'average', function () { return this.length === 0 ? 0 : this.sum() / this.length; });
  def(A, 'compact', function () { return this.filter(function (v) { return !isEmptyValue(v); }); });
  def(A, 'pluck', function () { var keys = Array.prototype.slice.call(arguments); return this.map(function (o) { if (keys.length === 1) return o == null ? undefined : o[keys[0]]; var r = {}; keys.forEach(function (k) { r[k] = o == null ? undefined : o[k]; }); return r; }); });
  def(A, 'removeDuplicates', function (key) { var seen = new Set(); return this.filter(function (v) { var k = JSON.stringify(key === undefined ? v : v == null ? v : v[key]); if (seen.has(k)) return false; seen.add(k); return true; }); });
  def(A, 'unique', A.removeDuplicates);
  def(A, 'chunk', function (n) { var out = []; for (var i = 0; i < this.length; i += n) out.push(this.slice(i, i + n)); return out; });
  def(A, 'difference', function (o) { var s = o.map(function (v) { return JSON.stringify(v); }); return this.filter(function (v) { return s.indexOf(JSON.stringify(v)) < 0; }); });
  def(A, 'intersection', function (o) { var s = o.map(function (v) { return JSON.stringify(v); }); return this.filter(function (v) { return s.indexOf(JSON.stringify(v)) >= 0; }); });
  def(A, 'union', function (o) { return this.concat(o).removeDuplicates(); });
  def(A, 'append', function () { return this.concat(Array.prototype.slice.call(arguments)); });
  def(A, 'randomItem', function () { return this[Math.floor(Math.random() * this.length)]; });
  def(A, 'smartJoin', function (k, v) { var r = {}; this.forEach(function (o) { r[o[k]] = o[v]; }); return r; });
  def(A, 'toJsonString', function () { return JSON.stringify(this); });
  def(N, 'round', function (d) { var f = Math.pow(10, d || 0); return Math.round(this * f) / f; });
  def(N, 'floor', function () { return Math.floor(this); });
  def(N, 'ceil', function () { return Math.ceil(this); });
  def(N, 'abs', function () { return Math.abs(this); });
  def(N, 'isEven', function () { return this % 2 === 0; });
  def(N, 'isOdd', function () { return Math.abs(this % 2) === 1; });
  def(N, 'isInteger', function () { return Number.isInteger(+this); });
  def(N, 'toBoolean', function () { return +this !== 0; });
  def(N, 'format', function (l, o) { return new Intl.NumberFormat(l, o).format(this); });
  def(N, 'toDateTime', function (f) { dt(); var n = +this; if (f === 's') return luxon.DateTime.fromSeconds(n); if (f === 'us') return luxon.DateTime.fromMillis(n / 1000); return luxon.DateTime.fromMillis(n); });
  def(B, 'toNumber', function () { return this.valueOf() ? 1 : 0; });
  def(O, 'isEmpty', function () { return Object.keys(this).length === 0; });
  def(O, 'isNotEmpty', function () { return Object.keys(this).length > 0; });
  def(O, 'hasField', function (k) { return Object.prototype.hasOwnProperty.call(this, k); });
  def(O, 'removeField', function (k) { var r = Object.assign({}, this); delete r[k]; return r; });
  def(O, 'keys', function () { return Object.keys(this); });
  def(O, 'values', function () { return Object.values(this); });
  def(O, 'compact', function () { var r = {}; var self = this; Object.keys(this).forEach(function (k) { if (!isEmptyValue(self[k])) r[k] = self[k]; }); return r; });
  def(O, 'toJsonString', function () { return JSON.stringify(this); });
  def(O, 'merge', function (o) { return Object.assign({}, o, this); });
  globalThis.$if = function (c, a, b) { return c ? a : b; };
  globalThis.$ifEmpty = function (v, d) { return isEmptyValue(v) ? d : v; };
  globalThis.$max = function () { return Math.max.apply(null, arguments); };
  globalThis.$min = function () { return Math.min.apply(null, arguments); };
})();
`;

/** Builds n8n's names for one item from the data the host sent (see NodeScriptData). */
const SCOPE = String.raw`
function __luxonSetup(data) {
  if (typeof luxon === 'undefined') return;
  luxon.Settings.defaultZone = data.timezone;
  var def = Object.defineProperty;
  var D = luxon.DateTime.prototype;
  def(D, 'format', { value: function (f) { return this.toFormat(f); }, writable: true, configurable: true });
  def(D, 'isWeekend', { value: function () { return this.weekday > 5; }, writable: true, configurable: true });
  def(D, 'beginningOf', { value: function (u) { return this.startOf(u || 'week'); }, writable: true, configurable: true });
  def(D, 'endOfMonth', { value: function () { return this.endOf('month'); }, writable: true, configurable: true });
  def(D, 'extract', { value: function (u) { return this.get(u || 'week'); }, writable: true, configurable: true });
  def(D, 'toDateTime', { value: function () { return this; }, writable: true, configurable: true });
  var plus = D.plus, minus = D.minus;
  def(D, 'plus', { value: function (n, u) { return typeof n === 'number' ? plus.call(this, { [u || 'milliseconds']: n }) : plus.call(this, n); }, writable: true, configurable: true });
  def(D, 'minus', { value: function (n, u) { return typeof n === 'number' ? minus.call(this, { [u || 'milliseconds']: n }) : minus.call(this, n); }, writable: true, configurable: true });
}

function __wrapList(list, index, extra) {
  var w = {
    all: function () { return list; },
    first: function () { return list[0]; },
    last: function () { return list[list.length - 1]; },
    get item() { return list[index]; },
    get json() { var i = list[index] || list[0]; return i ? i.json : undefined; },
    get length() { return list.length; },
  };
  if (extra) Object.keys(extra).forEach(function (k) { Object.defineProperty(w, k, Object.getOwnPropertyDescriptor(extra, k)); });
  return w;
}

function __scope(data, index) {
  var items = data.items;
  var refs = data.refs;
  function has(name) { return Object.prototype.hasOwnProperty.call(refs, name); }
  function nodeView(name) {
    if (!has(name)) throw new Error("Referenced node '" + name + "' doesn't exist, or is not named literally here ($('" + name + "') loads a node's data only when the code names it)");
    var ref = refs[name];
    function ran() { if (ref.executed === false) throw new Error("Referenced node hasn't been executed: '" + name + "'"); }
    var view = __wrapList(ref.items, index, {
      all: function () { ran(); return ref.items; },
      first: function () { ran(); return ref.items[0]; },
      last: function () { ran(); return ref.items[ref.items.length - 1]; },
      get json() { ran(); var i = ref.items[index] || ref.items[0]; return i ? i.json : undefined; },
      get item() { return view.itemMatching(index); },
      get context() { return ref.context || {}; },
      get params() { return ref.parameters || {}; },
      get runIndex() { return ref.runIndex; },
      isExecuted: ref.executed !== false,
      itemMatching: function (i) {
        ran();
        var p = ref.paired ? ref.paired[i] : undefined;
        if (typeof p === 'string') throw new Error(p);
        if (p === undefined) throw new Error("Paired item data for item from node '" + name + "' is unavailable");
        return p;
      },
    });
    view.pairedItem = function (i) { return view.itemMatching(i === undefined ? index : i); };
    return view;
  }
  var $node = new Proxy({}, { get: function (_, name) { return typeof name === 'string' ? nodeView(name) : undefined; }, has: function (_, name) { return has(name); } });
  var $input = __wrapList(items, index, { get params() { return data.node.parameters || {}; }, get context() { return data.context || {}; } });
  var now = typeof luxon === 'undefined' ? undefined : luxon.DateTime.now().setZone(data.timezone);
  return {
    $json: items[index] ? items[index].json : {},
    $binary: items[index] ? items[index].binary || {} : {},
    $input: $input,
    $: nodeView,
    $node: $node,
    $items: function (name, output, run) { return name === undefined ? items : nodeView(name).all(); },
    $item: function (i) { return { $json: (items[i] || {}).json, $node: $node }; },
    $runIndex: data.runIndex,
    $itemIndex: index,
    $workflow: data.workflow,
    $execution: data.execution,
    $prevNode: data.prevNode || {},
    $parameter: data.node.parameters || {},
    $vars: {},
    $now: now,
    $today: now === undefined ? undefined : now.startOf('day'),
    $position: index,
    $thisItemIndex: index,
    $nodeVersion: data.node.typeVersion,
    $nodeId: data.node.name,
    $mode: data.execution.mode,
    $timezone: data.timezone,
    DateTime: typeof luxon === 'undefined' ? undefined : luxon.DateTime,
    Duration: typeof luxon === 'undefined' ? undefined : luxon.Duration,
    Interval: typeof luxon === 'undefined' ? undefined : luxon.Interval,
  };
}


/** The deadline and the memory cap end the whole job: a script's catch must not swallow them. */
function __rethrowFatal(e) { if (e instanceof InternalError) throw e; }

function __plain(v) {
  if (v === undefined) return { u: true };
  if (typeof v === 'function') return { v: null };
  if (typeof luxon !== 'undefined' && (v instanceof luxon.DateTime)) return { v: v.toISO() };
  if (typeof v === 'number' && !isFinite(v)) return { v: null, n: String(v) };
  return { v: v };
}

var setTimeout = function (fn, ms) { var args = Array.prototype.slice.call(arguments, 2); api.sleep(ms || 0).then(function () { fn.apply(null, args); }); return 0; };
var clearTimeout = function () {};
var console = { log: function () { api.log.apply(null, arguments); }, info: function () { api.log.apply(null, arguments); }, warn: function () { api.log.warn.apply(null, arguments); }, error: function () { api.log.error.apply(null, arguments); } };
`;

/** Source of a function that evaluates one expression block with n8n's names in scope. */
export function expressionFunction(name: string, source: string): string {
  return `function ${name}(__s) { var ${scopeVars()}; return (\n${source}\n); }\n`;
}

function scopeVars(): string {
  return [
    '$json', '$binary', '$input', '$', '$node', '$items', '$item', '$runIndex', '$itemIndex', '$workflow', '$execution', '$prevNode', '$parameter', '$vars', '$now',
    '$today', '$position', '$thisItemIndex', '$nodeVersion', '$nodeId', '$mode', '$timezone', 'DateTime', 'Duration', 'Interval',
  ]
    .map((n) => `${n} = __s["${n}"]`)
    .join(', ');
}

/** Lines before the user's code in a Code function, so reported lines point into the user's code. */
export const CODE_LINE_OFFSET = 1;

/** Source of an async function running a Code node's JavaScript (top-level await works). */
export function codeFunction(name: string, jsCode: string, perItem: boolean): string {
  const legacy = perItem ? 'var item = $input.item;' : 'var items = $input.all();';
  return `async function ${name}(__s) { var ${scopeVars()}; ${legacy}\n${jsCode}\n}\n`;
}

/** Everything defined before the expression and code functions. */
export function guestPrelude(): string {
  return INTL_SHIM + EXTENSIONS + SCOPE;
}

/** Whether a source needs Luxon (it is only loaded then, to keep small jobs fast). */
export function needsLuxon(source: string): boolean {
  return /\$now|\$today|DateTime|Duration|Interval|toDateTime|luxon|beginningOf|endOfMonth|isWeekend/.test(source);
}
