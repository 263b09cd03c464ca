import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, ApiError, onSignedOut } from './api';
import { Layout } from './components/layout';
import { ChannelDashboard } from './pages/channel-dashboard';
import { ChannelList } from './pages/channel-list';
import { Recording } from './pages/recording';
import { RecordingRooms, RoomRecordings } from './pages/recordings';
import { RoomSessions, SessionFile } from './pages/sessions';
import { SignIn } from './pages/sign-in';
import { Statistics } from './pages/statistics';
import { Trash } from './pages/trash';
import { MeContext, type Me } from './session';
import './styles.css';

function Home() {
  const { route } = useLocation();
  useEffect(() => route('/console/reports', true), []);
  return null;
}

function NotFound() {
  return (
    <section class="panel">
      <h1>Not found</h1>
      <p>
        This page does not exist. <a href="/console/reports">Go to the channels</a>.
      </p>
    </section>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    api<Me>('/api/v4/console/me')
      .then(setMe)
      .catch((error: unknown) => setMe(error instanceof ApiError && error.status === 401 ? null : null));
    return onSignedOut(() => setMe(null));
  }, []);
  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  return (
    <MeContext.Provider value={me}>
      <Layout onSignedOut={() => setMe(null)}>
        <Router>
          <Route path="/console" component={Home} />
          <Route path="/console/reports" component={ChannelList} />
          <Route path="/console/reports/:channelId" component={ChannelDashboard} />
          <Route path="/console/recordings" component={RecordingRooms} />
          <Route path="/console/recordings/:roomId" component={RoomRecordings} />
          <Route path="/console/recordings/:roomId/:recordId" component={Recording} />
          <Route path="/console/sessions/:roomId" component={RoomSessions} />
          <Route path="/console/sessions/:roomId/:fileId" component={SessionFile} />
          <Route path="/console/statistics" component={Statistics} />
          <Route path="/console/trash" component={Trash} />
          <Route default component={NotFound} />
        </Router>
      </Layout>
    </MeContext.Provider>
  );
}

render(
  <LocationProvider>
    <App />
  </LocationProvider>,
  document.getElementById('app')!,
);
