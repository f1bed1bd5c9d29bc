import { Link } from 'react-router';
import { Page } from '../ui/Page';

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        This console has no such page. <Link to="/">Back to the overview</Link>.
      </p>
    </Page>
  );
}
