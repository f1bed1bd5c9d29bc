import { compareSemver, isSemver } from '../../src/dag/semver';

describe('workflow version labels', () => {
  it('accepts semantic versions only', () => {
    expect(['1.0.0', '0.1.2-beta.1', '2.0.0+build.5'].every(isSemver)).toBe(true);
    expect(['1.0', 'v1.0.0', '01.0.0', ''].some(isSemver)).toBe(false);
  });

  it('orders versions as semver does, prereleases below their release', () => {
    const sorted = ['1.0.0', '1.0.0-rc.1', '0.9.9', '1.0.0-alpha', '1.0.0-alpha.10', '1.0.0-alpha.2', '1.10.0', '1.2.0'].sort(compareSemver);
    expect(sorted).toEqual(['0.9.9', '1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.10', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.10.0']);
    expect(compareSemver('1.0.0+a', '1.0.0+b')).toBe(0);
  });
});
