import Handoff

/// The ring between two media workers (issue 6, "pipe producer"): the
/// upstream worker copies a producer's decrypted RTP and sender reports in
/// after its own fan-out and `signal()`s once per batch; the downstream
/// worker's epoll wakes on `wakeFD` and forwards what it drains. It is the
/// one `PacketRing` (Handoff) the recorder tap uses too.
///
/// Why a ring and not a loopback UDP pipe: a UDP hop costs a `sendmmsg` and a
/// `recvmmsg` per packet (≈ 4 µs, more than the SRTP of the packet) and
/// kernel copies; the ring costs one memcpy per packet, no lock, no
/// allocation, and one eventfd write per batch of the producing worker.
public typealias PipeRing = PacketRing
