// The Recorder module: recording live calls (issue #5).
//
// `StreamRecording` turns one published stream's RTP into one live,
// playable file: per-track `JitterBuffer`s (reorder, wait for recovered
// packets, conceal audio gaps, gate video on keyframes), the VP8/VP9/H.264/
// Opus depacketizers, A/V alignment by sender reports, and the
// `OggOpusWriter` / `WebMWriter` containers; `OggReader` and `WebMReader`
// read the files back for post-processing. See docs/RECORDER.md. The
// router's tap and I/O thread drive it; Signaling's Recordings API owns the
// recording lifecycle.
