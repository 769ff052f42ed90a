//! Response bodies made of ready chunks, with their exact length.
//!
//! A large answer (a page of 10,000 regions is about 11 MB of JSON) is written into fixed-size
//! chunks instead of one buffer that doubles and copies itself as it grows: the answer then
//! costs its own size in memory once, not up to twice that, and the chunks are sent (and kept by
//! the answer cache) as they are. The body reports its exact size, so it is sent with a
//! `Content-Length`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

/// Size of the chunks [`ChunkWriter`] fills.
const CHUNK_BYTES: usize = 64 * 1024;

/// An `io::Write` that fills fixed-size chunks.
#[derive(Default)]
pub(crate) struct ChunkWriter {
    done: Vec<Bytes>,
    current: BytesMut,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, mut data: &[u8]) -> std::io::Result<usize> {
        let written = data.len();
        while !data.is_empty() {
            if self.current.capacity() == self.current.len() {
                let full =
                    std::mem::replace(&mut self.current, BytesMut::with_capacity(CHUNK_BYTES));
                if !full.is_empty() {
                    self.done.push(full.freeze());
                }
            }
            let room = self.current.capacity() - self.current.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.current.extend_from_slice(now);
            data = later;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ChunkWriter {
    /// The chunks written, in order.
    pub(crate) fn finish(mut self) -> Vec<Bytes> {
        if !self.current.is_empty() {
            self.done.push(self.current.freeze());
        }
        self.done
    }
}

/// A body of chunks that are all there already.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

/// A response body of `chunks`: a plain full body when there is one chunk (most answers), else
/// a [`Chunks`] body.
pub(crate) fn body(chunks: impl IntoIterator<Item = Bytes>) -> axum::body::Body {
    let mut chunks = chunks.into_iter();
    match (chunks.next(), chunks.next()) {
        (None, _) => axum::body::Body::empty(),
        (Some(only), None) => axum::body::Body::from(only),
        (Some(first), Some(second)) => {
            axum::body::Body::new(Chunks::new([first, second].into_iter().chain(chunks)))
        }
    }
}

impl Chunks {
    pub(crate) fn new(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Self { chunks, remaining }
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.remaining -= chunk.len() as u64;
        }
        Poll::Ready(next.map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::io::Write;

    #[tokio::test]
    async fn chunks_hold_exactly_what_was_written() {
        let mut writer = ChunkWriter::default();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(7_777) {
            writer.write_all(piece).unwrap();
        }
        let chunks = writer.finish();
        assert!(chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        assert_eq!(chunks.len(), 200_000usize.div_ceil(CHUNK_BYTES));
        let body = Chunks::new(chunks);
        assert_eq!(body.size_hint().exact(), Some(200_000));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected, data);
    }

    #[tokio::test]
    async fn an_empty_body_ends_at_once() {
        let body = Chunks::new(ChunkWriter::default().finish());
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
        assert!(body.collect().await.unwrap().to_bytes().is_empty());
    }
}
