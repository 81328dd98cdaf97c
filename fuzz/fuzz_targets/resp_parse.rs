//! The RESP request parser on arbitrary bytes, fed in arbitrary pieces (as a socket would
//! deliver them): it never panics, every request it returns took bytes off the buffer, and
//! what it returns does not depend on how the bytes were split.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meridian_datanode::resp::frame::{self, Request};

/// Everything `parse` makes of `chunks` arriving one after the other: the requests, and the
/// protocol error that ended them, if one did.
fn parse_all(chunks: &[&[u8]]) -> (Vec<Request>, Option<frame::Error>) {
    let mut buf = bytes::BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match frame::parse(&mut buf) {
                Ok(Some(req)) => {
                    assert!(buf.len() < before, "a request that took no bytes would loop forever");
                    out.push(req);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks where the rest is cut in two.
    let Some((&cut, rest)) = data.split_first() else { return };
    let at = usize::from(cut) * rest.len() / 256;
    let (a, b) = rest.split_at(at);
    let whole = parse_all(&[rest]);
    let split = parse_all(&[a, b]);
    assert_eq!(whole, split, "the same bytes parsed differently when split at {at}");
});
