// A JSON viewer: objects and arrays fold, strings keep their quotes, and the whole value copies.
import { useState } from 'react';

export function Json({ value, expandDepth = 2, label }: { value: unknown; expandDepth?: number; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard.writeText(JSON.stringify(value, null, 2)).then(() => {
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div className="json" aria-label={label}>
      {navigator.clipboard !== undefined && (
        <button type="button" className="btn btn-small json-copy" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      )}
      <div className="json-body">
        <Node value={value} depth={0} expandDepth={expandDepth} />
      </div>
    </div>
  );
}

function Node({ value, depth, expandDepth }: { value: unknown; depth: number; expandDepth: number }) {
  if (value === null || value === undefined) return <span className="json-null">null</span>;
  if (typeof value === 'string') return <span className="json-string">"{value}"</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="json-boolean">{String(value)}</span>;
  return <Branch value={value as object} depth={depth} expandDepth={expandDepth} />;
}

function Branch({ value, depth, expandDepth }: { value: object; depth: number; expandDepth: number }) {
  const isArray = Array.isArray(value);
  const entries = isArray ? (value as unknown[]).map((v, i) => [String(i), v] as const) : Object.entries(value);
  const [open, setOpen] = useState(depth < expandDepth);
  const [start, end] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <span className="json-punct">{start + end}</span>;
  const summary = isArray ? `${entries.length} item${entries.length === 1 ? '' : 's'}` : `${entries.length} key${entries.length === 1 ? '' : 's'}`;
  return (
    <>
      <button type="button" className="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> {start}
        {!open && <span className="json-summary"> {summary} </span>}
        {!open && end}
      </button>
      {open && (
        <>
          <ul className="json-list">
            {entries.map(([k, v]) => (
              <li key={k}>
                {!isArray && <span className="json-key">"{k}"</span>}
                {!isArray && <span className="json-punct">: </span>}
                <Node value={v} depth={depth + 1} expandDepth={expandDepth} />
              </li>
            ))}
          </ul>
          <span className="json-punct">{end}</span>
        </>
      )}
    </>
  );
}
