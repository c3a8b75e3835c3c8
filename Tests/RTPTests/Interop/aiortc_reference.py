"""Prints reference RTCP/RTP bytes produced by aiortc's own serializers
(aiortc 1.16.0, `pip install aiortc` in a venv). The hex is pasted into
AiortcInteropTests.swift; the point is interoperability with an independent
implementation, not copying code. Run: /tmp/rtpvenv/bin/python aiortc_reference.py
"""
from aiortc.rtp import (RtcpByePacket, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket,
                        RtcpRtpfbPacket, RtcpSdesPacket, RtcpSenderInfo, RtcpSourceInfo,
                        RtcpSrPacket, RtpPacket, pack_remb_fci, RTCP_PSFB_PLI, RTCP_PSFB_APP,
                        RTCP_RTPFB_NACK, RTCP_PSFB_FIR, HeaderExtensions)
from aiortc.rtp import HeaderExtensionsMap
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

report = RtcpReceiverInfo(ssrc=0x11223344, fraction_lost=42, packets_lost=-3,
                          highest_sequence=0x0001ABCD, jitter=123, lsr=0x89ABCDEF, dlsr=0x00010000)
report2 = RtcpReceiverInfo(ssrc=0x55667788, fraction_lost=0, packets_lost=70000,
                           highest_sequence=0x00020001, jitter=0, lsr=0, dlsr=0)
packets = {
    "sr": RtcpSrPacket(ssrc=0x01020304,
                       sender_info=RtcpSenderInfo(ntp_timestamp=0xE8F0A1B2C3D4E5F6, rtp_timestamp=0xDEADBEEF,
                                                  packet_count=1000, octet_count=1234567),
                       reports=[report, report2]),
    "rr": RtcpRrPacket(ssrc=0x0A0B0C0D, reports=[report]),
    "sdes": RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=0x01020304, items=[(1, b"{9c1a2b3c-aaaa}")])]),
    "bye": RtcpByePacket(sources=[0x01020304, 0x05060708]),
    "nack": RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=0x01020304, media_ssrc=0x0A0B0C0D,
                            lost=[100, 101, 103, 116, 117, 200, 65534, 65535]),
    "pli": RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=0x01020304, media_ssrc=0x0A0B0C0D),
    "fir": RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=0x01020304, media_ssrc=0,
                          fci=bytes.fromhex("0a0b0c0d") + bytes([7, 0, 0, 0])),
    "remb": RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=0x01020304, media_ssrc=0,
                           fci=pack_remb_fci(1_500_000, [0x0A0B0C0D, 0x11223344])),
}
for name, p in packets.items():
    print(name, bytes(p).hex())

# RTP with a one-byte extension block, as aiortc sends it.
params = RTCRtpParameters(headerExtensions=[
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
    RTCRtpHeaderExtensionParameters(id=5, uri="http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
])
m = HeaderExtensionsMap()
m.configure(params)
rtp = RtpPacket(payload_type=96, marker=1, sequence_number=4242, timestamp=90000, ssrc=0x01020304,
                payload=bytes.fromhex("9080a0010000"))
rtp.extensions = HeaderExtensions(mid="0", abs_send_time=0x123456, transport_sequence_number=0x0102)
print("rtp", rtp.serialize(m).hex())
