#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zenith_fuzz::reader(zenith_capture::Format::Pcap, data));
