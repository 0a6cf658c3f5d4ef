import { useEffect, useRef, useState } from 'react';
import type { Event } from '@uah/schemas';
import { dateTime } from '../format.js';
import type { SignedIn } from '../session.js';
import { Empty } from '../ui.js';

const KEEP = 50;

/** The organization's events as they commit, from the WebSocket stream (reconnecting and resuming by itself). */
export function LiveFeed({ s, onEvent }: { s: SignedIn; onEvent?(event: Event): void }) {
  const [events, setEvents] = useState<Event[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting' | 'stopped'>('connecting');
  const [problem, setProblem] = useState('');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    const subscription = s.client.events.subscribe({
      onReady: () => {
        setState('live');
        setProblem('');
      },
      onEvent: (event) => {
        setEvents((list) => [event, ...list].slice(0, KEEP));
        handler.current?.(event);
      },
      onError: (error) => {
        // A refusal for good ends the subscription; a dropped connection is retried by the client.
        const final = error.name === 'UahApiError';
        setState(final ? 'stopped' : 'reconnecting');
        setProblem(error.message);
      },
    });
    return () => subscription.close();
  }, [s]);

  return (
    <section aria-labelledby="feed-heading" className="live-feed">
      <h2 id="feed-heading">
        Live events <span className={`dot dot-${state}`} aria-hidden="true" />
        <span className="small muted" data-testid="feed-state"> {state}</span>
      </h2>
      {problem && state !== 'live' && <p className="muted small">{problem}</p>}
      {events.length === 0 ? (
        <Empty title="Waiting for events.">
          <p>Create a customer, issue an invoice or record a payment: it shows here the moment it commits.</p>
        </Empty>
      ) : (
        <ol className="feed" aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Events, newest first">
          {events.map((event) => (
            <li key={event.id} data-event-type={event.type}>
              <strong>{event.type}</strong> <span className="muted small">{event.aggregateId}</span>
              <br />
              <time className="small muted" dateTime={event.timestamp}>{dateTime(event.timestamp)}</time> <span className="small muted">via {event.metadata.source}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
