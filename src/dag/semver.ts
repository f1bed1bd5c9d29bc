// The optional version label of a workflow version: semver, and each new label must be greater.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function isSemver(label: string): boolean {
  return SEMVER.test(label);
}

function comparePre(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // a release is greater than its prereleases
  if (b === undefined) return -1;
  const [pa, pb] = [a.split('.'), b.split('.')];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [nx, ny] = [/^\d+$/.test(x) ? Number(x) : NaN, /^\d+$/.test(y) ? Number(y) : NaN];
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

/** <0, 0 or >0 as a is lower than, equal to or greater than b (build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const [ma, mb] = [SEMVER.exec(a)!, SEMVER.exec(b)!];
  for (let i = 1; i <= 3; i++) {
    const c = Number(ma[i]) - Number(mb[i]);
    if (c !== 0) return Math.sign(c);
  }
  return comparePre(ma[4], mb[4]);
}
