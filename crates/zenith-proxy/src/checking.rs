//! The checking thread: each connection's copy read as a capture is (upgrade, frames,
//! messages), checked by its own [`Checker`] as `zenith check` checks, recorded, and reported
//! as it happens; requests left without a reply are reported when their time is up.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use zenith_capture::live::Live;
use zenith_capture::{Control, Direction, Event, Limits, Transport, TransportEvent};
use zenith_check::{Checker, Summary};

use crate::record::Record;
use crate::tap::{self, Note, Overall, now};
use crate::{CloseFrame, Closed, Report};

/// How often requests waiting for a reply are looked at, and the record flushed, at most.
const TICK: Duration = Duration::from_millis(100);

/// What the checking thread needs besides the notes.
pub(crate) struct Settings {
    pub source: String,
    pub limits: Limits,
    pub reply_timeout: Option<f64>,
    pub record: Option<Record>,
    pub overall: Overall,
}

/// One connection being checked.
struct Session {
    conn: Arc<str>,
    live: Live,
    checker: Checker,
    queued: Arc<AtomicUsize>,
    opened: f64,
    /// The close frame each side sent (the client's, then the server's).
    closes: [Option<CloseFrame>; 2],
    /// Bytes not copied, reported so far.
    lost: [u64; 2],
}

/// Reads the notes until every sender is gone; returns the summary of all connections.
pub(crate) fn run(notes: Receiver<Note>, mut settings: Settings, report: &mut dyn FnMut(Report)) -> Summary {
    let mut sessions: HashMap<u64, Session> = HashMap::new();
    let mut total = Summary::default();
    let mut last_tick = Instant::now();
    loop {
        let note = match notes.recv_timeout(TICK) {
            Ok(note) => Some(note),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let quiet = note.is_none();
        if let Some(note) = note {
            handle(note, &mut sessions, &mut settings, &mut total, report);
        }
        // Quiet for a moment, or busy for a while: requests waiting are looked at, and what is
        // recorded reaches the file.
        if quiet || last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            let time = now();
            for session in sessions.values_mut() {
                session.checker.tick(time, &mut |finding| report(Report::Finding(finding)));
            }
            if let Some(record) = &mut settings.record {
                record.flush();
                if let Some(message) = record.failure() {
                    report(Report::Notice(message));
                }
            }
        }
    }
    // Senders are gone only once every connection closed: nothing should be left, but if a
    // note was lost, what is open is finished all the same.
    let open: Vec<u64> = sessions.keys().copied().collect();
    for id in open {
        let note = Note::Close { id, why: "the proxy stopped".to_owned(), relayed: [0; 2], lost: [0; 2], time: now() };
        handle(note, &mut sessions, &mut settings, &mut total, report);
    }
    if let Some(record) = &mut settings.record {
        record.flush();
        if let Some(message) = record.failure() {
            report(Report::Notice(message));
        }
    }
    total.finalize();
    total
}

fn handle(
    note: Note,
    sessions: &mut HashMap<u64, Session>,
    settings: &mut Settings,
    total: &mut Summary,
    report: &mut dyn FnMut(Report),
) {
    match note {
        Note::Open { id, conn, queued, time } => {
            let mut checker = Checker::new(&settings.source);
            checker.set_reply_timeout(settings.reply_timeout);
            let live = Live::new(&conn, settings.limits);
            report(Report::Opened { conn: conn.to_string() });
            let session = Session { conn, live, checker, queued, opened: time, closes: [None, None], lost: [0; 2] };
            sessions.insert(id, session);
        }
        Note::Bytes { id, direction, bytes, time } => {
            let Some(session) = sessions.get_mut(&id) else { return };
            tap::checked(&session.queued, &settings.overall, bytes.len());
            let Session { live, checker, closes, .. } = session;
            live.bytes(direction, &bytes, time, &mut |event| {
                follow(event, checker, closes, &mut settings.record, report)
            });
        }
        Note::Lost { id, direction, bytes, time } => {
            let Some(session) = sessions.get_mut(&id) else { return };
            session.lost[tap::side(direction)] += bytes;
            let Session { live, checker, closes, .. } = session;
            live.lost(direction, bytes, time, &mut |event| {
                follow(event, checker, closes, &mut settings.record, report)
            });
        }
        Note::Problem { id, level, code, message, time } => {
            let Some(session) = sessions.get_mut(&id) else { return };
            let what = TransportEvent::problem(level, code, message);
            let event = Event::Transport(Transport {
                origin: session.live.origin().clone(),
                time: Some(time),
                direction: None,
                what,
            });
            session.checker.event(event, &mut |finding| report(Report::Finding(finding)));
        }
        Note::Close { id, why, relayed, lost, time } => {
            let Some(mut session) = sessions.remove(&id) else { return };
            let Session { live, checker, closes, lost: reported, .. } = &mut session;
            for direction in [Direction::Send, Direction::Receive] {
                let more = lost[tap::side(direction)].saturating_sub(reported[tap::side(direction)]);
                live.lost(direction, more, time, &mut |event| {
                    follow(event, checker, closes, &mut settings.record, report)
                });
            }
            live.close(time, &mut |event| follow(event, checker, closes, &mut settings.record, report));
            let Session { conn, mut checker, closes, opened, .. } = session;
            if let Some(record) = &mut settings.record {
                let withheld = record.forget(&conn);
                if withheld > 0 {
                    let message = format!(
                        "{withheld} message(s) were left out of the record: their connection met more credentials than \
                         can be followed, so copies of them could not be replaced"
                    );
                    report(Report::Notice(message));
                }
            }
            checker.tick(time, &mut |finding| report(Report::Finding(finding)));
            let mut summary = checker.finish(&mut |finding| report(Report::Finding(finding)));
            summary.finalize();
            report(Report::Closed(Closed {
                conn: conn.to_string(),
                why,
                seconds: (time - opened).max(0.0),
                closes,
                relayed,
                unchecked: lost,
                summary: Box::new(summary.clone()),
            }));
            total.merge(summary);
        }
    }
}

/// Checks one event of a connection, and records it when it is a message.
fn follow(
    event: Event,
    checker: &mut Checker,
    closes: &mut [Option<CloseFrame>; 2],
    record: &mut Option<Record>,
    report: &mut dyn FnMut(Report),
) {
    match &event {
        Event::Frame(frame) => {
            if let Some(record) = record {
                record.frame(frame);
            }
        }
        Event::Transport(Transport {
            direction: Some(direction),
            what: TransportEvent::Control(Control::Close { code, reason }),
            ..
        }) => {
            let slot = &mut closes[tap::side(*direction)];
            if slot.is_none() {
                // A close reason is free text from a peer: shown as findings show it.
                let reason = checker.shown_text(reason);
                *slot = Some(CloseFrame { code: *code, reason });
            }
        }
        _ => {}
    }
    checker.event(event, &mut |finding| report(Report::Finding(finding)));
}
