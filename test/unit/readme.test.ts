import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CONSOLE_CSP } from '../../src/api/console';
import { signatureHeader } from '../../src/client/signature';
import { variables } from '../../src/config/config';
import { nodeTable } from '../../src/dsl/catalogue';

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('shows exactly the two commands at the top', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = firstBlock.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('#')[0]!.trim());
    expect(commands).toEqual(['make start', 'make test']);
  });

  it('lists the node types and versions of the registry, as src/dsl/catalogue.ts writes them', () => {
    const listed = /<!-- nodes:begin -->\n([\s\S]*?)<!-- nodes:end -->/.exec(readme)![1];
    expect(listed).toBe(nodeTable());
  });

  it('documents every configuration variable with its default', () => {
    for (const v of variables) {
      expect(readme).toContain(`| \`${v.name}\` | ${v.default} | ${v.description} |`);
    }
  });

  it("quotes the console's Content-Security-Policy as the API sends it", () => {
    expect(readme).toContain(`Content-Security-Policy: ${CONSOLE_CSP}`);
  });

  it("has a Python verifier that accepts either key of a rotation's overlap, and nothing else", () => {
    const verifier = /```python\n([\s\S]*?def verify[\s\S]*?)```/.exec(readme)![1]!;
    const body = '{"hello":"world"}';
    const cases = [
      { key: 'new', header: signatureHeader(['new', 'old'], body) },
      { key: 'old', header: signatureHeader(['new', 'old'], body) },
      { key: 'new', header: signatureHeader('new', body) },
      { key: 'old', header: signatureHeader('new', body) },
      { key: 'new', header: signatureHeader('new', body, Math.floor(Date.now() / 1000) - 400) },
    ];
    const script = `${verifier}\nimport json, sys\nfor c in json.load(sys.stdin): print(verify(c["key"], ${JSON.stringify(body)}.encode(), c["header"]))\n`;
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(cases) }).toString().trim().split('\n');
    expect(out).toEqual(['True', 'True', 'True', 'False', 'False']);
  });
});
