//! Packet captures (pcap and pcapng) of plain `ws://` traffic: packets to TCP segments, each
//! TCP connection reassembled, its HTTP upgrade read, and its websocket frames turned into
//! messages.

mod frames;
mod handshake;
mod inflate;
mod out;
pub(crate) mod peer;
mod tcp;
pub(crate) mod websocket;

use std::io::Read;
use std::net::SocketAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use crate::{Event, Limits, ReadError, Skipped};

pub use tcp::{MAX_HELD_BYTES, MAX_OPEN_CONNECTIONS};
pub use websocket::{MAX_EARLY_BYTES, close_code_meaning};

/// The magic numbers of pcap (both byte orders, micro- and nanosecond timestamps) and pcapng.
pub fn is_packet_capture(start: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    start.get(..4).is_some_and(|magic| MAGICS.iter().any(|m| m == magic))
}

/// One TCP segment, as the connection tracker needs it.
pub(crate) struct Segment<'a> {
    pub packet: u64,
    pub time: f64,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub sequence: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Largest pcap block held at once; a packet cannot be larger in any capture tool.
const MAX_BLOCK_BYTES: usize = 16 << 20;

/// Reads a packet capture, calling `sink` for every message, control frame, connection event
/// and skipped packet, in capture order.
pub fn read(mut reader: impl Read, limits: Limits, sink: &mut dyn FnMut(Event)) -> Result<(), ReadError> {
    let capacity = 1 << 16;
    // The readers parse the file header from their first read: give them a whole buffer.
    let mut start = Vec::with_capacity(capacity);
    (&mut reader).take(capacity as u64).read_to_end(&mut start)?;
    if !is_packet_capture(&start) {
        return Err(ReadError::NotPcap("it does not start with a pcap or pcapng magic number".to_owned()));
    }
    let pcapng = start.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let reader = std::io::Cursor::new(start).chain(reader);
    let opened = if pcapng {
        PcapNGReader::new(capacity, reader).map(|r| Box::new(r) as Box<dyn PcapReaderIterator>)
    } else {
        LegacyPcapReader::new(capacity, reader).map(|r| Box::new(r) as Box<dyn PcapReaderIterator>)
    };
    let mut reader = match opened {
        Ok(reader) => reader,
        Err(PcapError::Eof) => return Err(ReadError::NotPcap("the file is empty".to_owned())),
        Err(error) => return Err(ReadError::NotPcap(describe(&error))),
    };
    let mut connections = tcp::Connections::new(limits);
    // Whatever stops the reading, the connections' unfinished messages and holes are reported.
    let result = blocks(&mut *reader, capacity, &mut connections, sink);
    let cut = match &result {
        Ok(cut) => *cut,
        Err(_) => None,
    };
    connections.finish(cut, sink);
    result.map(|_| ())
}

/// Reads the blocks, packet by packet, into the connections. `Ok(Some(n))` when the file ends
/// inside the block after packet `n`.
fn blocks(
    reader: &mut dyn PcapReaderIterator,
    mut capacity: usize,
    connections: &mut tcp::Connections,
    sink: &mut dyn FnMut(Event),
) -> Result<Option<u64>, ReadError> {
    // Per pcapng interface: its link type and timestamp resolution and offset.
    let mut interfaces: Vec<(Linktype, u64, i64)> = Vec::new();
    let mut legacy = (Linktype::ETHERNET, false);
    let mut packet = 0u64;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let found = match block {
                    PcapBlockOwned::LegacyHeader(header) => {
                        legacy = (header.network, matches!(header.magic_number, 0xa1b23c4d | 0x4d3cb2a1));
                        None
                    }
                    PcapBlockOwned::Legacy(frame) => {
                        let fraction = if legacy.1 { 1e-9 } else { 1e-6 };
                        let time = f64::from(frame.ts_sec) + f64::from(frame.ts_usec) * fraction;
                        Some((legacy.0, time, frame.data, frame.caplen < frame.origlen))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(interface)) => {
                        let resolution = interface.ts_resolution().unwrap_or(1_000_000);
                        interfaces.push((interface.linktype, resolution, interface.ts_offset()));
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (linktype, resolution, ts_offset) =
                            interfaces.get(epb.if_id as usize).copied().unwrap_or((Linktype::ETHERNET, 1_000_000, 0));
                        let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let time = ts_offset as f64 + ticks as f64 / resolution as f64;
                        Some((linktype, time, epb.data, epb.caplen < epb.origlen))
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let linktype = interfaces.first().map_or(Linktype::ETHERNET, |i| i.0);
                        Some((linktype, 0.0, spb.data, false))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                if let Some((linktype, time, data, cut)) = found {
                    packet += 1;
                    match segment(linktype, data) {
                        Ok(Some(segment)) => connections.segment(Segment { packet, time, ..segment }, sink),
                        Ok(None) => sink(Event::Skipped(Skipped::Packet { packet, reason: "not TCP" })),
                        Err(_) if cut => sink(Event::Skipped(Skipped::Packet {
                            packet,
                            reason: "cut short by the capture's snapshot length",
                        })),
                        Err(reason) => sink(Event::Skipped(Skipped::Packet { packet, reason })),
                    }
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(None),
            // A capture cut off mid-write: what was read stands, the rest is reported.
            Err(PcapError::UnexpectedEof) => return Ok(Some(packet)),
            Err(PcapError::Incomplete(_)) => refill(reader, packet)?,
            Err(PcapError::BufferTooSmall) => {
                capacity *= 2;
                if capacity > MAX_BLOCK_BYTES || !reader.grow(capacity) {
                    return Err(ReadError::MalformedPcap(format!(
                        "after packet {packet}: a block larger than {MAX_BLOCK_BYTES} bytes"
                    )));
                }
                refill(reader, packet)?;
            }
            Err(error) => {
                return Err(ReadError::MalformedPcap(format!("after packet {packet}: {}", describe(&error))));
            }
        }
    }
}

fn refill(reader: &mut dyn PcapReaderIterator, packet: u64) -> Result<(), ReadError> {
    reader.refill().map_err(|e| ReadError::MalformedPcap(format!("after packet {packet}: {}", describe(&e))))
}

fn describe<I>(error: &PcapError<I>) -> String {
    match error {
        PcapError::Eof | PcapError::UnexpectedEof | PcapError::Incomplete(_) => "the file ends inside a block".into(),
        PcapError::BufferTooSmall => "a block is too large".into(),
        PcapError::ReadError => "reading failed".into(),
        PcapError::HeaderNotRecognized => "neither a pcap nor a pcapng header".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => format!("malformed block ({kind:?})"),
    }
}

/// The TCP segment in one packet; `None` when it holds none; an error when it cannot be read.
fn segment(linktype: Linktype, data: &[u8]) -> Result<Option<Segment<'_>>, &'static str> {
    let sliced = match linktype {
        Linktype::ETHERNET => SlicedPacket::from_ethernet(data),
        Linktype::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => SlicedPacket::from_ip(data),
        // BSD loopback: a 4-byte address family, then the IP packet.
        Linktype::NULL | Linktype::LOOP => SlicedPacket::from_ip(data.get(4..).ok_or("a truncated loopback header")?),
        Linktype::LINUX_SLL2 => SlicedPacket::from_ip(data.get(20..).ok_or("a truncated Linux SLL2 header")?),
        _ => return Err("a link type other than Ethernet, Linux cooked, loopback or raw IP"),
    };
    let sliced = sliced.map_err(|_| "a malformed or truncated packet")?;
    let (source, destination) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => {
            if ip.header().is_fragmenting_payload() {
                return Err("an IP fragment (fragments are not reassembled)");
            }
            (ip.header().source_addr().into(), ip.header().destination_addr().into())
        }
        Some(NetSlice::Ipv6(ip)) => (ip.header().source_addr().into(), ip.header().destination_addr().into()),
        _ => return Ok(None),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else { return Ok(None) };
    Ok(Some(Segment {
        packet: 0,
        time: 0.0,
        source: SocketAddr::new(source, tcp.source_port()),
        destination: SocketAddr::new(destination, tcp.destination_port()),
        sequence: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    }))
}
