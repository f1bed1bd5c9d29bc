// `npm run build` runs this after tsc: prebuilds the workflow bundle the workers load.
import { BUNDLE_PATH, writeBundle } from './bundle';

writeBundle().then(
  () => console.log(`workflow bundle written to ${BUNDLE_PATH}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
