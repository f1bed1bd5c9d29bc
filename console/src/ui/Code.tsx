// Read-only JavaScript with syntax highlighting (highlight.js escapes the source, so its HTML is safe).
import hljs from 'highlight.js/lib/core';
import javascript from 'highlight.js/lib/languages/javascript';
import { useMemo } from 'react';

hljs.registerLanguage('javascript', javascript);

export function Code({ source, label }: { source: string; label: string }) {
  const html = useMemo(() => hljs.highlight(source, { language: 'javascript' }).value, [source]);
  const lines = source.split('\n').length;
  return (
    <div className="code" role="region" aria-label={label} tabIndex={0}>
      <pre className="code-gutter" aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => i + 1).join('\n')}
      </pre>
      <pre className="code-body">
        <code dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </div>
  );
}
