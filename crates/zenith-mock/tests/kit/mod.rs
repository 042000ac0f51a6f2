//! What the mock's tests share: a mock started in-process on loopback.

use std::net::SocketAddr;

use tokio::sync::{mpsc, oneshot};
use zenith_mock::{Event, Mock, Options};

/// A mock with `options`, on 127.0.0.1 with port 0; it stops when the returned sender is dropped
/// or sent to, and tells what happens on the returned receiver.
pub async fn start(mut options: Options) -> (SocketAddr, oneshot::Sender<()>, mpsc::UnboundedReceiver<Event>) {
    options.listen = "127.0.0.1:0".parse().unwrap();
    let mock = Mock::bind(options).await.expect("the mock binds");
    let address = mock.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let (events, received) = mpsc::unbounded_channel();
    tokio::spawn(mock.run(
        async {
            let _ = stopped.await;
        },
        events,
    ));
    (address, stop, received)
}
