// `npm run build` runs this after tsc: prebuilds the workflow bundles the workers load.
import { BUNDLE_PATH, UNTRACED_BUNDLE_PATH, writeBundle } from './bundle';

writeBundle().then(
  () => console.log(`workflow bundles written to ${BUNDLE_PATH} and ${UNTRACED_BUNDLE_PATH}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
