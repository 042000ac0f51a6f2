//! Checking one capture on several threads: one reads, `jobs` analyse batches of frames, and
//! the calling thread applies the analyses in capture order, so the output does not depend on
//! the number of threads. Channels are bounded, so memory stays bounded too.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use zenith_capture::{Event, Format, Limits, ReadError};
use zenith_check::{Analysis, Checker, Finding, analyze};

/// Frames per batch: large enough to amortise the hand-offs, small enough to keep memory low.
const BATCH: usize = 512;

pub fn check(
    format: Format,
    reader: impl BufRead + Send,
    limits: Limits,
    jobs: usize,
    checker: &mut Checker,
    report: &mut dyn FnMut(Finding),
) -> Result<(), ReadError> {
    let source: Arc<str> = checker.source().into();
    std::thread::scope(|scope| {
        let (batches, to_analyse) = sync_channel::<(u64, Vec<Event>)>(jobs * 2);
        let (analysed, results) = sync_channel::<(u64, Vec<Analysis>)>(jobs * 2);
        let to_analyse = Arc::new(Mutex::new(to_analyse));
        for _ in 0..jobs {
            let (to_analyse, analysed, source) = (Arc::clone(&to_analyse), analysed.clone(), Arc::clone(&source));
            scope.spawn(move || worker(&source, &to_analyse, &analysed));
        }
        drop(analysed);
        let reading = scope.spawn(move || {
            let mut reader = reader;
            let mut batch = Vec::with_capacity(BATCH);
            let mut sequence = 0;
            let result = zenith_capture::read(format, &mut reader, limits, &mut |event| {
                batch.push(event);
                if batch.len() == BATCH {
                    // A send fails only when the workers are gone, and then nothing is waiting.
                    let _ = batches.send((sequence, std::mem::replace(&mut batch, Vec::with_capacity(BATCH))));
                    sequence += 1;
                }
            });
            if !batch.is_empty() {
                let _ = batches.send((sequence, batch));
            }
            result
        });
        // Apply in capture order, holding early batches until their turn.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (sequence, analyses) in results {
            waiting.insert(sequence, analyses);
            while let Some(analyses) = waiting.remove(&next) {
                for analysis in analyses {
                    checker.apply(analysis, report);
                }
                next += 1;
            }
        }
        reading.join().expect("the reading thread does not panic")
    })
}

fn worker(
    source: &str,
    to_analyse: &Mutex<Receiver<(u64, Vec<Event>)>>,
    analysed: &std::sync::mpsc::SyncSender<(u64, Vec<Analysis>)>,
) {
    loop {
        let next = to_analyse.lock().map(|receiver| receiver.recv());
        let Ok(Ok((sequence, events))) = next else { return };
        let analyses = events.into_iter().map(|event| analyze(source, event)).collect();
        if analysed.send((sequence, analyses)).is_err() {
            return;
        }
    }
}
