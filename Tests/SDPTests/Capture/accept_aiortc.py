# Feeds our publish answer to aiortc's setRemoteDescription.
import asyncio, subprocess
from aiortc import RTCPeerConnection, RTCConfiguration, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

async def main():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(AudioStreamTrack()); pc.addTrack(VideoStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    answer = subprocess.run(["/tmp/sdpcli/sdpcli", "publish"], input=pc.localDescription.sdp.encode(), capture_output=True, check=True).stdout.decode()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    print("aiortc publish ok:", [(t.mid, t.currentDirection, [c.mimeType for c in t._codecs]) for t in pc.getTransceivers()])
    await pc.close()
asyncio.run(main())
