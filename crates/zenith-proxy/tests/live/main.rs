//! The proxy on loopback, in one test binary: sessions relayed (`relay`), subprotocols and
//! websocket features (`protocols`), hand-made traffic byte for byte (`raw`), hostile clients
//! (`hostile`) and TLS to the upstream (`tls`); `kit` is what they share.

mod hostile;
mod kit;
mod protocols;
mod raw;
mod relay;
mod tls;
