// The Recorder module: recording live calls (issue #5, not built yet).
//
// It will hold the recorder consumers that tap every published stream of a
// recorded conference through a bounded queue from the media worker, the
// jitter buffer, the Ogg Opus and WebM writers running on their own I/O
// thread, and the post-processing (combined audio and video with libopus and
// libvpx). It depends on RTPRouter (taps) and is used by Signaling (the
// Recordings API); the finished audio lands in the records store.
