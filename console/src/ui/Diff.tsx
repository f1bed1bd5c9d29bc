// A line diff of two texts, unified: removed lines red, added lines green, unchanged runs folded.
import { diffLines } from 'diff';
import { useMemo } from 'react';

interface Line {
  kind: 'add' | 'del' | 'same';
  text: string;
  old?: number;
  new?: number;
}

const CONTEXT = 3;

export function Diff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = useMemo(() => toLines(before, after), [before, after]);
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;
  if (added === 0 && removed === 0) return <p className="empty">The two versions have the same script.</p>;
  return (
    <div className="diff" role="region" aria-label={label} tabIndex={0}>
      <p className="diff-stat">
        <span className="diff-added">+{added}</span> <span className="diff-removed">−{removed}</span> lines
      </p>
      <table>
        <tbody>
          {fold(lines).map((l, i) =>
            l === 'gap' ? (
              <tr key={i} className="diff-gap">
                <td colSpan={3}>⋯</td>
              </tr>
            ) : (
              <tr key={i} className={`diff-${l.kind}`}>
                <td className="diff-num">{l.old ?? ''}</td>
                <td className="diff-num">{l.new ?? ''}</td>
                <td className="diff-text">
                  <span className="diff-sign" aria-label={l.kind === 'add' ? 'added' : l.kind === 'del' ? 'removed' : undefined}>
                    {l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : ' '}
                  </span>
                  {l.text}
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function toLines(before: string, after: string): Line[] {
  const out: Line[] = [];
  let o = 1;
  let n = 1;
  for (const part of diffLines(before, after)) {
    const texts = part.value.replace(/\n$/, '').split('\n');
    for (const text of texts) {
      if (part.added) out.push({ kind: 'add', text, new: n++ });
      else if (part.removed) out.push({ kind: 'del', text, old: o++ });
      else out.push({ kind: 'same', text, old: o++, new: n++ });
    }
  }
  return out;
}

/** Keeps CONTEXT unchanged lines around each change; longer unchanged runs become a gap. */
function fold(lines: Line[]): (Line | 'gap')[] {
  const near = lines.map((_, i) => lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((l) => l.kind !== 'same'));
  const out: (Line | 'gap')[] = [];
  lines.forEach((l, i) => {
    if (near[i]) out.push(l);
    else if (out[out.length - 1] !== 'gap') out.push('gap');
  });
  return out;
}
