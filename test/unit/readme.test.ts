import fs from 'node:fs';
import path from 'node:path';
import { CONSOLE_CSP } from '../../src/api/console';
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
});
