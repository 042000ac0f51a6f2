//! Websocket frames written by hand (RFC 6455, section 5), for tests that build raw traffic.

/// The masking key of the client's frames.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame: `fin` ends a message, `rsv1` marks a compressed message's first frame; the client's
/// (`client`) are masked with [`MASK`].
pub fn frame(client: bool, opcode: u8, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = frame_header(client, opcode, fin, rsv1, payload.len() as u64);
    if client {
        out.extend(payload.iter().enumerate().map(|(n, b)| b ^ MASK[n % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A frame's header declaring `length` payload bytes (which need not follow), with the masking
/// key when the client sends it.
pub fn frame_header(client: bool, opcode: u8, fin: bool, rsv1: bool, length: u64) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode];
    let mask_bit = if client { 0x80 } else { 0 };
    match length {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    if client {
        out.extend_from_slice(&MASK);
    }
    out
}
